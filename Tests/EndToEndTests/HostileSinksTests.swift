import Foundation
import Testing

/// Issue 24, point 8: each sink fed its dangerous characters through every road that reaches it
/// (input line, integrations file, environment, partner response, token endpoint, warehouse
/// answer), and what arrives asserted. A new road that skips the types fails here. The request
/// headers' roads are in LtSendTypedValuesTests and below; DogStatsD's and Prometheus' integration
/// name road in LtSendTypedValuesTests. Real receivers and token endpoints on 127.0.0.1, real files,
/// a real UDP socket, a real SQLite warehouse.
@Suite struct HostileSinksTests {
    /// Bytes no sink may pass raw to a terminal or a line-based file: C0 controls but LF, ESC, DEL,
    /// and C1 controls (CSI, OSC) in their UTF-8 form.
    static func rawControls(_ bytes: [UInt8]) -> [UInt8] {
        var found: [UInt8] = []
        for (i, b) in bytes.enumerated() where (b < 0x20 && b != 0x0A) || b == 0x7F {
            found.append(b)
            _ = i
        }
        for i in bytes.indices.dropLast() where bytes[i] == 0xC2 && (0x80...0x9F).contains(bytes[i + 1]) {
            found.append(bytes[i + 1])
        }
        return found
    }

    static func lines(_ path: String) -> [[UInt8]] {
        let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map(Array.init)
    }

    /// An envelope line whose id and integration are JSON-escaped, whatever they hold.
    static func line(_ id: String, integration: String) -> String {
        let object: [String: Any] = [
            "id": id, "integration": integration, "payload": ["event_type": "course_completion"],
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ line: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    @Test func resultsTheAttemptLogTheDeadLetterFileAndHumanLogsTakeHostileTextOnlyAsEscapedWholeLines() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir, arguments: ["--token-error", #"bad","forged":"1\u"#])
        try dir.write("secret", "client-S3CRET")
        // The integrations file's road: a name with a quote, a newline and an ESC sequence.
        let config = try dir.write(
            "integrations.toml",
            #"""
            [integrations."h\"x\ny\u001B[31m"]
            url = "\#(receiver.url("/hostile/x"))"

            [integrations.refused]
            url = "\#(receiver.url("/ok/r"))"
            auth = { type = "oauth2", token_url = "\#(receiver.url("/token"))", client_id_env = "P_ID", client_secret_file = "\#(dir.file("secret"))" }
            """#)
        // The input line's road: bytes that are not JSON, and an id that is not visible ASCII.
        let notJSON: [UInt8] =
            Array(#"{"id": "x"#.utf8) + [0x1B, 0x5D, 0x30, 0x3B, 0x07, 0x0D, 0x00, 0xFF] + Array("\u{2028}".utf8)
        let badID = Array(Self.line("a\u{1B}[2Jb", integration: "refused").utf8)
        let input =
            Array((Self.line("hostile-1", integration: "h\"x\ny\u{1B}[31m") + "\n").utf8)
            + Array((Self.line("refused-1", integration: "refused") + "\n").utf8) + notJSON + [0x0A] + badID + [0x0A]
        let inputFile = dir.file("in.ndjson")
        try Data(input).write(to: URL(fileURLWithPath: inputFile))
        let out = try Tool.shell(
            """
            lt-send --integrations "$1" --allow-http --allow-private --retries 0 -v --log-format human \
              --attempts "$2" --dead-letter "$3" < "$4" > "$5" 2> "$6"
            """,
            args: [
                "", config, dir.file("attempts.ndjson"), dir.file("dead.ndjson"), inputFile,
                dir.file("results.ndjson"), dir.file("stderr"),
            ],
            env: ["P_ID": "lt"])
        #expect(out.status == 1, "\(dir.read("stderr"))")

        // Results: one whole JSON line per input line, nothing raw, the partner's text faithful.
        let results = Self.lines(dir.file("results.ndjson"))
        #expect(results.count == 4)
        for r in results {
            #expect(Self.json(r) != nil, "\(String(decoding: r, as: UTF8.self))")
            #expect(Self.rawControls(r).isEmpty, "\(String(decoding: r, as: UTF8.self))")
        }
        let parsed = results.compactMap(Self.json)
        let hostile = parsed.first { ($0["id"] as? String) == "hostile-1" }
        #expect(hostile?["integration"] as? String == "h\"x\ny\u{1B}[31m")
        let response = hostile?["response"] as? String ?? ""
        #expect(
            response.hasPrefix("\u{1B}]0;pwned\u{07}\u{1B}[2J\r\nlt-send: error: forged line\n\u{0}"), "\(response)")
        #expect(response.contains("\u{FFFD}") && response.hasSuffix(#""quoted" \ backslash"#), "\(response)")
        let refused = parsed.first { ($0["id"] as? String) == "refused-1" }?["error"] as? String ?? ""
        #expect(refused.contains(#"(401 bad","forged":"1\u)"#), "\(refused)")

        // The attempt log: one whole JSON line per attempt (the refused line made none).
        let attempts = Self.lines(dir.file("attempts.ndjson"))
        #expect(attempts.count == 1)
        for a in attempts {
            #expect(Self.json(a)?["response"] as? String == response)
            #expect(Self.rawControls(a).isEmpty)
        }

        // The dead-letter file: the failed lines byte for byte as they arrived, nothing a partner sent.
        let dead = Self.lines(dir.file("dead.ndjson"))
        let inputLines = input.split(separator: 0x0A).map(Array.init)
        #expect(Set(dead) == Set(inputLines), "\(dead.map { String(decoding: $0, as: UTF8.self) })")
        #expect(dead.count == 4)
        #expect(!dead.contains { String(decoding: $0, as: UTF8.self).contains("pwned") })

        // Human logs: every line is lt-send's own, nothing acts on the terminal.
        let stderr = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: dir.file("stderr")))) ?? Data())
        #expect(Self.rawControls(stderr).isEmpty, "\(Self.rawControls(stderr))")
        let text = String(decoding: stderr, as: UTF8.self)
        for line in text.split(separator: "\n") {
            #expect(line.hasPrefix("lt-send: ") || line.hasPrefix("  "), "a forged line: \(line)")
        }
        #expect(text.contains(#"\x1b]0;pwned\x07"#), "\(text)")
        #expect(!text.contains("\u{2028}"))
    }

    @Test func theJournalStoresHostileNamesAndIdsAsDataAndDedupesOnThem() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let name = "x'); DROP TABLE delivered; --\n\"q\""
        let config = try dir.write(
            "integrations.toml",
            #"""
            [integrations."x'); DROP TABLE delivered; --\n\"q\""]
            url = "\#(receiver.url("/ok/x"))"
            """#)
        // Visible ASCII ids with SQL's and the shell's metacharacters; one with ESC, refused.
        let ids = [#"a'b";--"#, #"c\d%_*"#]
        let input =
            ids.map { Self.line($0, integration: name) + "\n" }.joined() + Self.line("e\u{1B}f", integration: name)
            + "\n"
        let args = ["--integrations", config, "--allow-http", "--allow-private", "--journal", dir.file("journal")]
        let first = try Tool.run("lt-send", args, stdin: input)
        #expect(first.status == 1, "\(first.stderr)")
        #expect(try first.records().filter { $0["status"] as? String == "delivered" }.count == 2)
        let again = try Tool.run("lt-send", args, stdin: input)
        #expect(try again.records().filter { $0["status"] as? String == "skipped" }.count == 2)
        #expect(try receiver.requests().count == 2)
        let rows = try Tool.shell(
            "sqlite3 -json \"$0\" 'SELECT s.name, d.id FROM delivered d JOIN scopes s USING (scope) ORDER BY d.id'",
            args: [dir.file("journal")])
        let stored = try JSONSerialization.jsonObject(with: Data(rows.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(stored.map { $0["id"] as? String } == ids.sorted().map { Optional($0) }, "\(rows.stdout)")
        #expect(stored.allSatisfy { $0["name"] as? String == name }, "\(rows.stdout)")
    }

    @Test func theEnvironmentAndTheCommandLineInjectNoDatagramOrSample() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let udp = try UDPListener()
        let prom = dir.file("lt-send.prom")
        let base = ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--metrics-file", prom]
        // The command line's road: refused.
        let option = try Tool.run(
            "lt-send", base + ["--metrics-tag", "team:a|c\nforged.cli:1|c"], stdin: SendFixtures.lines(1))
        #expect(option.status == 64, "\(option.stderr)")
        // The environment's road: bad tags are left out, with a warning that shows them escaped.
        let out = try Tool.run(
            "lt-send", base, stdin: SendFixtures.lines(2),
            env: [
                "LT_METRICS": "statsd://127.0.0.1:\(udp.port)", "DD_ENV": "prod\nforged.env:1|c",
                "DD_SERVICE": "svc|#x:y\u{1B}[2J", "DD_TAGS": "owner:b\"\\\nforged.tags:1|c,team:ok",
            ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.rawControls(Array(out.stderr.utf8)).isEmpty, "\(out.stderr)")
        #expect(out.stderr.contains("DD_ENV"), "\(out.stderr)")
        let lines = udp.lines()
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.hasPrefix("forged") }, "\(lines)")
        for l in lines {
            // One datagram line: name:value|type[|@rate]|#tags, the tags one comma-separated list.
            let parts = l.split(separator: "|", omittingEmptySubsequences: false)
            #expect(parts.count == 3 || parts.count == 4, "\(l)")
            #expect(parts.last?.hasPrefix("#") == true && parts.last?.contains("team:ok") == true, "\(l)")
            #expect(!l.contains("svc") && !l.contains("prod"), "\(l)")
        }
        let text = try String(contentsOfFile: prom, encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("forged") }, "\(text)")
        #expect(!text.contains("svc") && !text.contains("prod"), "\(text)")
    }

    @Test func noRoadPutsAnExtraHeaderLineOnTheWire() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let base = ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private"]
        // The input line's road: an id with CR LF (JSON-escaped) is refused; the others go.
        let idOut = try Tool.run(
            "lt-send", base, stdin: SendFixtures.line("a\r\nX-Injected: 1") + "\n" + SendFixtures.lines(1))
        #expect(idOut.status == 1, "\(idOut.stderr)")
        // The command line's road.
        let option = try Tool.run("lt-send", base + ["-H", "X-A: b\r\nX-Injected: 1"], stdin: SendFixtures.lines(1))
        #expect(option.status == 64, "\(option.stderr)")
        // The environment's road: a bearer token with CR LF.
        let env = try Tool.run(
            "lt-send", base + ["--bearer-env", "TOKEN"], stdin: SendFixtures.lines(1),
            env: ["TOKEN": "tok\r\nX-Injected: 1"])
        #expect(env.status == 2, "\(env.stderr)")
        let requests = try receiver.requests()
        #expect(requests.count == 1)
        #expect(!requests.contains { ($0["headers"] as? [String: Any])?["x-injected"] != nil })
    }

    @Test func aHostileWarehouseAnswerReachesResultsAndLogsEscaped() throws {
        let dir = try Workdir()
        // SQLite keeps whatever text a column is given: a DATE with ESC, CR LF and a forged line.
        let db = try dir.sqliteWarehouse(
            LtQueryFixture.schema
                + "INSERT INTO LEARNING_TIME VALUES (1, 'c', '\(LtQueryFixture.enterprise)', "
                + "'2026-01-01' || char(27) || '[2J' || char(13) || char(10) || 'lt-query: error: forged', 60);")
        let out = try Tool.run(
            "lt-query",
            ["--warehouse", "sqlite:" + db, "--no-cache", "--flag", "on", "--last-updated", "rows", "-v"],
            stdin: LtQueryFixture.completion(user: 1, course: "c") + "\n")
        #expect(out.lines.count == 1, "\(out.stdout)")
        let line = Array(out.stdout.utf8)
        #expect(Self.rawControls(line).isEmpty, "\(out.stdout)")
        #expect(Self.json(Array(line.dropLast())) != nil, "\(out.stdout)")
        #expect(Self.rawControls(Array(out.stderr.utf8)).isEmpty, "\(out.stderr)")
        for l in out.stderr.split(separator: "\n") {
            #expect(l.hasPrefix("lt-query: ") || l.hasPrefix("  "), "a forged line: \(l)")
        }
    }
}
