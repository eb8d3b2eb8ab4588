import Foundation
import Testing

/// The pipeline broken the way production breaks it, with one invariant checked by
/// scripts/check-delivery.py: every input line has exactly one final result, every undelivered
/// line is in the dead-letter file, and nothing is received twice but what a kill caught.
@Suite(.serialized) struct ReliabilityTests {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    static func completion(_ user: Int, id: String? = nil, integration: String? = nil) -> String {
        let payload =
            #"{"user":{"id":\#(user)},"course":{"course_id":"course-v1:edX+R+\#(user % 7)"},"completion":{"completion_date":"2026-01-10T15:30:00Z"},"enterprise":{"enterprise_customer_uuid":"\#(enterprise)"}}"#
        guard id != nil || integration != nil else { return payload }
        var members: [String] = []
        if let id { members.append(#""id":"\#(id)""#) }
        if let integration { members.append(#""integration":"\#(integration)""#) }
        return "{" + members.joined(separator: ",") + #","payload":"# + payload + "}"
    }

    /// Runs the checker and returns its summary; a broken invariant fails the test.
    static func check(_ dir: Workdir, input: String, results: [String], received: [String], kills: Int = 0) throws
        -> [String: Any]
    {
        let out = try Tool.shell(
            "python3 \"$0\" --input \"$1\" --dead-letter \"$2\" --kills \"$3\" --results $4 --received $5",
            args: [
                Tool.packageRoot + "/scripts/check-delivery.py", input, dir.file("dead.ndjson"), String(kills),
                results.joined(separator: " "), received.joined(separator: " "),
            ])
        let summary = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(out.status == 0, "invariant broken: \(out.stdout) \(out.stderr)")
        return summary
    }

    /// Sends lt-query's output lines on through `lt-enrich --flag on` (plus `enrichArguments`) and
    /// lt-send to a receiver of their own, and checks the invariant on what lt-send read. Returns the
    /// checker's summary, how many lines went out with learning time, and lt-send's exit status.
    static func deliver(_ lookups: [String], enrichArguments: String = "") throws -> (
        summary: [String: Any], withLearningTime: Int, status: Int32
    ) {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("lookups.ndjson", lookups.joined(separator: "\n") + "\n")
        let enriched = dir.file("enriched.ndjson")
        let run = try Tool.shell(
            """
            lt-enrich --flag on \(enrichArguments) < "$1" > "$2"
            lt-send --url "$3" --allow-http --allow-private --dead-letter "$4" < "$2" > "$5"
            """, args: ["", input, enriched, receiver.url(), dir.file("dead.ndjson"), dir.file("results.ndjson")])
        let summary = try check(
            dir, input: enriched, results: [dir.file("results.ndjson")], received: [receiver.recordPath])
        let withLearningTime = try ToolOutput(stdout: dir.read("results.ndjson"), stderr: "", status: 0).records()
            .filter { $0["learning_time"] as? Bool == true }.count
        return (summary, withLearningTime, run.status)
    }

    @Test func receiverFlappingAcrossSeveralEndpoints() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        try dir.write(
            "integrations.toml",
            """
            [integrations.flaky]
            url = "\(receiver.url("/flaky/2/x"))"
            retries = 3
            [integrations.busy]
            url = "\(receiver.url("/retry-after/1/x"))"
            retries = 2
            [integrations.gone]
            url = "\(receiver.url("/status/410/x"))"
            [integrations.hangup]
            url = "\(receiver.url("/close/x"))"
            retries = 1
            [integrations.slow]
            url = "\(receiver.url("/slow/7/x"))"
            timeout = 5
            retries = 0
            """)
        let names = ["flaky", "busy", "gone", "hangup", "flaky", "busy", "flaky", "gone"]
        var lines = (1...40).map { Self.completion($0, id: "flap-\($0)", integration: names[$0 % names.count]) }
        lines.append(Self.completion(41, id: "flap-41", integration: "slow"))
        let input = try dir.write("input.ndjson", lines.joined(separator: "\n") + "\n")
        let out = try Tool.shell(
            """
            lt-send --integrations "$1" --allow-http --allow-private --retry-schedule 20ms --max-retry-after 2s --breaker-failures 1000 \
              --journal "$2" --dead-letter "$3" < "$4" > "$5"
            """,
            args: [
                "", dir.file("integrations.toml"), dir.file("journal"), dir.file("dead.ndjson"), input,
                dir.file("results.ndjson"),
            ])
        #expect(out.status == 1)
        let summary = try Self.check(
            dir, input: input, results: [dir.file("results.ndjson")], received: [receiver.recordPath])
        let results = try ToolOutput(stdout: dir.read("results.ndjson"), stderr: "", status: 0).records()
        let status = Dictionary(uniqueKeysWithValues: results.map { ($0["id"] as! String, $0["status"] as! String) })
        for (i, name) in zip(1...40, (1...40).map { names[$0 % names.count] }) {
            let expected = name == "flaky" || name == "busy" ? "delivered" : "failed"
            #expect(status["flap-\(i)"] == expected, "flap-\(i) via \(name)")
        }
        #expect(status["flap-41"] == "failed")
        ReliabilityTests.recordFigures(
            "receiver flapping (500s, 429 + Retry-After, 410, closed connections, timeouts)", summary)
    }

    @Test func lineSendKilledAgainAndAgainThenResumedWithItsJournal() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let count = 1500
        let input = try dir.write(
            "input.ndjson", (1...count).map { Self.completion($0, id: "kill-\($0)") }.joined(separator: "\n") + "\n")
        var resultFiles: [String] = []
        // Three runs killed with SIGKILL once they have reported a random number of lines, then one to
        // the end. Lines skipped as already delivered count too, so each point lies past the last.
        var reached = 0
        let killPoints = (0..<3).map { _ in
            reached += Int.random(in: 60...400); return reached
        }
        for (run, killAfter) in (killPoints + [Int.max]).enumerated() {
            let results = dir.file("results-\(run).ndjson")
            resultFiles.append(results)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [
                "-c",
                "exec \"$0\" --url \"$1\" --allow-http --allow-private --rate 400 --journal \"$2\" --dead-letter \"$3\" < \"$4\" > \"$5\"",
                Tool.path("lt-send"), receiver.url(), dir.file("journal"), dir.file("dead.ndjson"), input, results,
            ]
            try p.run()
            if killAfter != .max {
                // Wait for the condition (that many results written), then kill without warning.
                while p.isRunning && dir.read("results-\(run).ndjson").split(separator: "\n").count < killAfter {
                    usleep(2_000)
                }
                kill(p.processIdentifier, SIGKILL)
            }
            p.waitUntilExit()
        }
        let summary = try Self.check(dir, input: input, results: resultFiles, received: [receiver.recordPath], kills: 3)
        #expect(summary["delivered"] as? Int == count, "killed after \(killPoints) results")
        // Only transfers in flight at a kill are sent again: at most 16 (the concurrency) per kill.
        #expect(summary["duplicates"] as? Int == 0, "killed after \(killPoints) results")
        #expect((summary["resent_at_kills"] as? Int ?? 99) <= 3 * 16, "killed after \(killPoints) results")
        let points = killPoints.map(String.init)
        ReliabilityTests.recordFigures(
            "lt-send killed with SIGKILL three times (after \(points[0]), \(points[1]) and \(points[2]) results), resumed with its journal",
            summary)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func warehouseStoppedMidStreamAndStartedAgain()
        throws
    {
        _ = try Services.postgres()
        let dir = try Workdir()
        // A cluster of this test's own, so that stopping it disturbs no other test.
        // Through system(3): a server started from a Foundation Process child leaves waitUntilExit hanging.
        let envFile = dir.file("pg.env")
        try #require(
            system("'\(Tool.packageRoot)/scripts/postgres.sh' start > '\(envFile)' 2>&1 </dev/null") == 0,
            "\(dir.read("pg.env"))")
        var env: [String: String] = [:]
        // Lines of the form: export NAME='value' NAME='value'
        let text = dir.read("pg.env")
        let pattern = try NSRegularExpression(pattern: "([A-Z_]+)='([^']*)'")
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            env[String(text[Range(m.range(at: 1), in: text)!])] = String(text[Range(m.range(at: 2), in: text)!])
        }
        let pgDir = env["LT_PG_DIR"]!
        let conninfo = env["LT_TEST_POSTGRES"]!
        defer { _ = system("'\(Tool.packageRoot)/scripts/postgres.sh' stop '\(pgDir)' >/dev/null 2>&1") }
        let load = try Tool.shell(
            """
            psql "$0" -qAt -c "CREATE TABLE learning_time (user_id integer, course_key varchar(255), enterprise_customer_uuid varchar(36), date date, learning_time_seconds integer)" \
              -c "INSERT INTO learning_time SELECT u, 'course-v1:edX+R+' || (u % 7), '\(Self.enterprise)', DATE '2026-01-01', 60 * u FROM generate_series(1, 150) u"
            """, args: [conninfo])
        try #require(load.status == 0, "\(load.stderr)")
        let pgctl = { (action: String) throws -> Void in
            let r = system("'\(Tool.packageRoot)/scripts/postgres.sh' \(action) '\(pgDir)' </dev/null >/dev/null 2>&1")
            try #require(r == 0, "postgres.sh \(action) failed")
        }
        let query = try Interactive(
            "lt-query",
            [
                "--warehouse", conninfo, "--table", "LEARNING_TIME", "--no-cache", "--flag", "on",
                "--batch-window", "1ms", "--retries", "1", "--retry-delay", "10ms", "--breaker-cooldown", "100ms",
            ])
        var outputs: [String] = []
        var statuses: [String] = []
        func feed(_ users: ClosedRange<Int>) throws {
            for u in users {
                let answer = try query.ask(Self.completion(u, id: "pg-\(u)"))
                outputs.append(answer)
                let obj = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
                statuses.append((obj?["lookup"] as? [String: Any])?["status"] as? String ?? "?")
            }
        }
        try feed(1...50)
        try pgctl("pause")
        try feed(51...100)
        try pgctl("resume")
        // The breaker lets a probe through after its cooldown: wait for the warehouse to answer again.
        _ = try query.sendUntil(Self.completion(1, id: "probe"), within: 30) { $0.contains("\"status\":\"found\"") }
        try feed(101...150)
        let (status, stderr) = try query.finish()
        #expect(status == 1, "unavailable lookups are errors on stderr: \(stderr.suffix(300))")
        #expect(statuses[0..<50].allSatisfy { $0 == "found" })
        #expect(statuses[50..<100].allSatisfy { $0 == "unavailable" })
        #expect(statuses[100..<150].allSatisfy { $0 == "found" })
        // Those envelopes through the rest of the pipeline: every line delivered, the outage's without learning time.
        let lenient = try Self.deliver(outputs)
        #expect(lenient.status == 0)
        #expect(lenient.summary["delivered"] as? Int == 150)
        #expect(lenient.withLearningTime == 100)
        ReliabilityTests.recordFigures(
            "PostgreSQL stopped for 50 lines of a 150-line stream, then started", lenient.summary)
        // The same lookups under --require-learning-time: the outage's lines are dead-lettered instead.
        let strict = try Self.deliver(outputs, enrichArguments: "--require-learning-time")
        #expect(strict.status == 1, "lines without learning time fail the run")
        #expect(strict.summary["delivered"] as? Int == 100)
        #expect(strict.summary["dead_lettered"] as? Int == 50)
        ReliabilityTests.recordFigures("the same outage under --require-learning-time", strict.summary)
    }

    @Test func cacheFolderMadeReadOnlyDeletedFilledWithGarbageAndMadeUnusable() throws {
        let dir = try Workdir()
        var sql = (try String(contentsOfFile: Tool.packageRoot + "/examples/warehouse.sql", encoding: .utf8))
            .components(separatedBy: "INSERT")[0]
        for u in 1...60 {
            sql +=
                "INSERT INTO LEARNING_TIME VALUES (\(u), 'course-v1:edX+R+\(u % 7)', '\(Self.enterprise)', '2026-01-01', \(60 * u));\n"
        }
        let db = try dir.sqliteWarehouse(sql)
        let cache = dir.file("cache")
        // Root ignores permissions, so lt-query runs as nobody, in a folder nobody owns.
        let asNobody = getuid() == 0
        if asNobody { chown(dir.path, 65534, 65534) }
        chmod(dir.path, 0o755)
        let args = ["--warehouse", "sqlite:\(db)", "--cache-dir", cache, "--flag", "on", "--batch-window", "1ms"]
        let query =
            asNobody
            ? try Interactive(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Tool.path("lt-query")] + args)
            : try Interactive("lt-query", args)
        var found = 0
        var next = 0
        var answers: [String] = []
        // Ten learners never seen before, so each goes to the warehouse and is written to the cache.
        func feed() throws {
            for _ in 0..<10 {
                next += 1
                let answer = try query.ask(Self.completion(next, id: "cache-\(next)"))
                answers.append(answer)
                if answer.contains(#""status":"found""#) && answer.contains(#""total_seconds":\#(60 * next)"#) {
                    found += 1
                }
            }
        }
        let files = { (try? FileManager.default.contentsOfDirectory(atPath: cache).map { cache + "/" + $0 }) ?? [] }
        try feed()
        // Read-only folder and files.
        for f in files() { chmod(f, 0o444) }
        chmod(cache, 0o555)
        try feed()
        chmod(cache, 0o755)
        for f in files() { chmod(f, 0o644) }
        // Deleted.
        try FileManager.default.removeItem(atPath: cache)
        try feed()
        // Garbage: the cache file replaced by junk (as a copy or an editor would), junk files beside it.
        try #require(FileManager.default.fileExists(atPath: cache + "/lookups.sqlite"), "lt-query made the cache again")
        try Data(repeating: 0x41, count: 8192).write(
            to: URL(fileURLWithPath: cache + "/lookups.sqlite"), options: .atomic)
        try Data(repeating: 0x00, count: 4096).write(to: URL(fileURLWithPath: cache + "/lookups.sqlite-journal"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: cache + "/junk.txt"))
        if asNobody { for f in files() { chown(f, 65534, 65534) } }
        try feed()
        // The folder replaced by a file.
        try? FileManager.default.removeItem(atPath: cache)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: cache))
        try feed()
        let (status, stderr) = try query.finish()
        #expect(status == 0, "\(stderr)")
        #expect(found == 50, "every line answered from the warehouse with its own total: \(stderr)")
        // Both noticed: the deleted cache started anew, the replaced one left alone for the rest of the run.
        #expect(stderr.contains("was deleted during the run; starting a new one"), "\(stderr)")
        #expect(stderr.contains("was replaced during the run; going on without the cache"), "\(stderr)")
        // The rest of the pipeline: every line delivered with its learning time.
        let delivered = try Self.deliver(answers)
        #expect(delivered.status == 0)
        #expect(delivered.withLearningTime == 50)
        ReliabilityTests.recordFigures(
            "cache folder made read-only, deleted, replaced by junk, replaced by a file, during one lt-query run",
            delivered.summary)
    }

    @Test func slowConsumerGetsEveryLineAndAClosedPipeEndsEachToolQuietly() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let count = 3000
        let input = try dir.write(
            "input.ndjson", (1...count).map { Self.completion($0, id: "slow-\($0)") }.joined(separator: "\n") + "\n")
        // The whole pipeline into a reader that pauses every 300 results, so every pipe fills up.
        let receiver = try Receiver(in: dir)
        let slow = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --no-cache --flag on < "$2" | lt-enrich --flag on | tee "$3" \\
              | lt-send --url "$4" --allow-http --allow-private --dead-letter "$5" \\
              | python3 -c 'import sys, time
            n = 0
            with open(sys.argv[1], "w") as out:
                for line in sys.stdin:
                    out.write(line)
                    n += 1
                    if n % 300 == 0: time.sleep(0.05)
            print(n)' "$6"
            """,
            args: [
                "", db, input, dir.file("enriched.ndjson"), receiver.url(), dir.file("dead.ndjson"),
                dir.file("results.ndjson"),
            ])
        #expect(
            slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(count), "\(slow.stderr.suffix(300))")
        let summary = try Self.check(
            dir, input: dir.file("enriched.ndjson"), results: [dir.file("results.ndjson")],
            received: [receiver.recordPath])
        #expect(summary["delivered"] as? Int == count)
        ReliabilityTests.recordFigures("slow consumer: results read with a pause every 300 lines", summary)
        for tool in [
            "lt-query --warehouse sqlite:\(db) --no-cache", "lt-enrich",
            "lt-send --dry-run --url https://partner.example/hook",
        ] {
            let closed = try Tool.shell(
                "set -o pipefail; \(tool) < \"$1\" | head -n 1 > /dev/null; echo \"status ${PIPESTATUS[0]}\"",
                args: ["", input])
            #expect(closed.stdout.contains("status 0"), "\(tool): \(closed.stdout) \(closed.stderr.prefix(300))")
            #expect(!closed.stderr.contains("error"), "\(tool): \(closed.stderr.prefix(300))")
        }
    }

    @Test func secretsNeverShowInOutputLogsFilesOrTheProcessList() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir, mode: "slow")
        let token = "tok-" + UUID().uuidString
        let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "\(receiver.url("/slow/0.3/x"))"
            auth = { type = "bearer", token_env = "P_TOKEN" }
            signing = { secrets_env = "P_SECRET" }
            """)
        let input = try dir.write(
            "input.ndjson", (1...6).map { Self.completion($0, integration: "p") }.joined(separator: "\n") + "\nbad\n")
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/bin/bash")
        run.arguments = [
            "-c",
            "exec \"$0\" --integrations \"$1\" --allow-http --allow-private --verbose --stats --dead-letter \"$2\" < \"$3\" > \"$4\" 2> \"$5\"",
            Tool.path("lt-send"), dir.file("integrations.toml"), dir.file("dead"), input, dir.file("out"),
            dir.file("err"),
        ]
        var env = ProcessInfo.processInfo.environment
        env["P_TOKEN"] = token
        env["P_SECRET"] = secret
        run.environment = env
        try run.run()
        // While it runs, the process list must not show the secrets.
        let ps = try Tool.shell("ps -eo args")
        run.waitUntilExit()
        let dry = try Tool.shell(
            "lt-send --integrations \"$1\" --allow-http --allow-private --dry-run < \"$2\"",
            args: ["", dir.file("integrations.toml"), input],
            env: ["P_TOKEN": token, "P_SECRET": secret])
        for (name, text) in [
            ("ps", ps.stdout), ("stdout", dir.read("out")), ("stderr", dir.read("err")),
            ("dead-letter", dir.read("dead")),
            ("dry-run", dry.stdout + dry.stderr),
        ] {
            #expect(!text.contains(token), "token in \(name)")
            #expect(!text.contains(secret), "secret in \(name)")
            #expect(!text.contains(String(secret.dropFirst(6))), "secret's key in \(name)")
        }
        #expect(
            dry.stdout.lowercased().contains("authorization"), "\(dry.stdout.prefix(300)) \(dry.stderr.prefix(300))")
    }

    @Test(arguments: ["localhost", "[::ffff:127.0.0.1]"])
    func privateAddressGuardHoldsForNamesAndMappedAddresses(_ host: String) throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send", ["--url", "http://\(host):\(receiver.port)/hook", "--allow-http", "--retries", "0"],
            stdin: #"{"a":1}"# + "\n")
        #expect(out.status == 1)
        #expect(try receiver.requests().isEmpty)
        let result = try out.records().first
        #expect(result?["status"] as? String != "delivered")
        #expect(
            (result?["error"] as? String ?? "").lowercased().contains("private")
                || (result?["error"] as? String ?? "").contains("loopback"),
            "\(result ?? [:])")
    }

    static func recordFigures(_ scenario: String, _ summary: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]) else { return }
        ReliabilityReport.record(scenario, String(decoding: data, as: UTF8.self))
    }
}
