import Foundation
import Testing

/// Help, usage errors, --version, and lt-send's quick headers, as a user meets them.
@Suite struct HelpAndUsageTests {
    static let tools = ["lt-query", "lt-enrich", "lt-send", "lt-rollup"]

    @Test func examplesInHelpAreWholeCommands() throws {
        for tool in Self.tools {
            let help = try Tool.run(tool, ["--help"])
            #expect(help.status == 0)
            let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let start = try #require(lines.firstIndex { $0.hasPrefix("Example") }, "\(tool) --help has no example")
            var continued = false
            for line in lines[(start + 1)...] {
                if line.isEmpty { break }
                // Each example starts with a command or a variable; a further line only follows a trailing backslash.
                let text = line.trimmingCharacters(in: .whitespaces)
                #expect(
                    continued || text.hasPrefix("lt-")
                        || text.range(of: #"^[A-Z_]+="#, options: .regularExpression) != nil,
                    "\(tool): example broken by wrapping: \(line)")
                continued = text.hasSuffix("\\")
            }
        }
    }

    @Test func usageErrorsSpeakInTheToolsOwnVoice() throws {
        let cases: [(String, [String], String)] = [
            ("lt-send", ["--url", "https://a.example", "--timeout", "soon"], "--timeout"),
            ("lt-send", ["--url", "ftp://a.example/x"], "--url"),
            ("lt-send", ["--url", "https://a.example", "--allow-address", "10.0.0.0/99"], "--allow-address"),
            ("lt-send", ["--url", "https://a.example", "-H", "Content-Length:0"], "set by lt-send itself"),
            ("lt-query", ["--ttl", "a while"], "--ttl"),
            ("lt-query", ["--statement-timeout", "-5s"], "--statement-timeout"),
            ("lt-query", ["--log-level", "verbose"], "--log-level"),
            ("lt-enrich", ["--stats-interval", "often"], "--stats-interval"),
            ("lt-enrich", ["--no-such-option"], "--no-such-option"),
            // An unknown option is named, not the rule validation checks first (--url or --integrations).
            ("lt-send", ["--bogus"], "unknown option '--bogus'"),
            ("lt-send", ["--timeout", "5s", "--bogus=1"], "unknown option '--bogus'"),
            ("lt-query", ["--warehouse", "sqlite:x", "--cache-purge", "expired", "-z"], "unknown option '-z'"),
        ]
        for (tool, arguments, option) in cases {
            let out = try Tool.run(tool, arguments, stdin: "")
            #expect(out.status == 64, "\(tool) \(arguments): \(out.stderr)")
            #expect(out.stderr.hasPrefix("\(tool): error: "), "\(tool) \(arguments): \(out.stderr)")
            #expect(out.stderr.contains(option), "\(tool) \(arguments): \(out.stderr)")
            #expect(out.stdout.isEmpty)
        }
        let duration = try Tool.run("lt-query", ["--batch-window", "soon"], stdin: "")
        #expect(duration.stderr.contains("500ms, 30s, 5m or 1h"))

        let json = try Tool.run(
            "lt-send", ["--log-format", "json", "--url", "https://a.example", "--grace", "x"], stdin: "")
        #expect(json.status == 64)
        let record = try JSONSerialization.jsonObject(with: Data(json.stderr.utf8)) as? [String: Any]
        #expect(record?["level"] as? String == "ERROR")
        #expect(record?["logger"] as? String == "lt-send")
        #expect((record?["message"] as? String)?.contains("--grace") == true)
    }

    /// Each value of --log-level says what it shows: the parser's own listing paired the names with
    /// the enum's integer raw values and left every description empty.
    @Test func logLevelValuesAreDescribed() throws {
        let help = try Tool.run("lt-query", ["--help"])
        for level in ["debug", "info", "warning", "error"] {
            let line = help.stdout.split(separator: "\n").first {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(level) ")
            }
            let text = line.map { String($0).trimmingCharacters(in: .whitespaces).dropFirst(level.count) } ?? ""
            #expect(text.count > 6, "--log-level \(level) has no description: \(line ?? "")")
        }
    }

    @Test func durationsTakeOneSyntaxEverywhere() throws {
        let dir = try Workdir()
        // Every duration option of lt-query in every form, over an empty input.
        let db = try dir.sqliteWarehouse(LtQueryFixture.schema)
        for value in ["500ms", "30s", "5m", "1h", "2"] {
            let out = try Tool.run(
                "lt-query",
                [
                    "--warehouse", "sqlite:" + db, "--no-cache", "--batch-window", value,
                    "--retry-delay", value, "--breaker-cooldown", value,
                    "--statement-timeout", value, "--ttl", value, "--negative-ttl", value,
                    "--stats", "--stats-interval", value, "--metrics-interval", value,
                ], stdin: "")
            #expect(out.status == 0, "\(value): \(out.stderr)")
        }
    }

    @Test func versionNamesTheLibrariesInUse() throws {
        for tool in Self.tools {
            let out = try Tool.run(tool, ["--version"])
            #expect(out.status == 0)
            let lines = out.stdout.split(separator: "\n").map(String.init)
            // The tool's name first, so a pasted report says which tool it came from.
            #expect(lines.first?.hasPrefix("\(tool) 0.") == true, "\(tool): \(out.stdout)")
            for library in ["libcurl ", "libpq ", "SQLite "] {
                let line = lines.first { $0.hasPrefix(library) }
                #expect(line?.dropFirst(library.count).first?.isNumber == true, "\(tool): \(out.stdout)")
            }
        }
    }

    @Test func quickSendsCarryHeadersAndABearerToken() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let token = "quick-token-\(UUID().uuidString)"
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private",
                "-H", "X-Partner-Id: 42", "--header", "X-Trace:abc", "--bearer-env", "QUICK_TOKEN",
            ],
            stdin: SendFixtures.lines(2), env: ["QUICK_TOKEN": token])
        #expect(out.status == 0, "\(out.stderr)")
        let requests = try receiver.requests()
        #expect(requests.count == 2)
        for r in requests {
            let h = r["headers"] as? [String: Any] ?? [:]
            #expect(h["x-partner-id"] as? String == "42")
            #expect(h["x-trace"] as? String == "abc")
            #expect(h["authorization"] as? String == "Bearer \(token)")
        }
        #expect(!out.stdout.contains(token) && !out.stderr.contains(token))

        let unset = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private",
                "--bearer-env", "LT_NO_SUCH_TOKEN",
            ], stdin: SendFixtures.lines(1))
        #expect(unset.status == 2)
        #expect(unset.stderr.contains("LT_NO_SUCH_TOKEN"))
    }
}
