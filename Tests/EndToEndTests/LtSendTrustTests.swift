import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Only validated values on the wire, and records that cannot lie: webhook ids, the integrations
/// file, mutual TLS, and the journal's lock, scope and damage handling.
@Suite struct LtSendTrustTests {
    static let ok = ["--allow-http", "--allow-private"]

    /// Entries in a journal, read with Python's sqlite3 (an independent reader).
    static func journalEntries(_ path: String) throws -> [String] {
        let out = try Tool.shell(
            """
            python3 -c 'import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for name, i, at in db.execute("SELECT s.name, d.id, d.delivered_at_ms FROM delivered d JOIN scopes s USING (scope) ORDER BY 1, 2"):
                assert at > 1.7e12, at
                print(name + " " + i)' "$0"
            """, args: [path])
        guard out.status == 0 else { throw TestFailure("cannot read the journal: \(out.stderr)") }
        return out.stdout.split(separator: "\n").map(String.init)
    }

    @Test func forgedIdsAreRejectedDeadLetteredAndNeverSentOrJournaled() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let forged = [
            #"{"id":"a\r\nX-Injected: 1","payload":{"n":1}}"#,
            #"{"id":"has space","payload":{"n":2}}"#,
            #"{"id":"\#(String(repeating: "x", count: 257))","payload":{"n":3}}"#,
            #"{"id":"caf\u00e9","payload":{"n":4}}"#,
            #"{"id":"nul\u0000byte","payload":{"n":5}}"#,
            #"{"id":"tab\there","payload":{"n":6}}"#,
        ]
        let good = [
            SendFixtures.line("evt_2Zx9-ok.1", n: 7), SendFixtures.line(String(repeating: "y", count: 256), n: 8),
            #"{"payload":{"n":9}}"#,
        ]
        let input = (forged + good).joined(separator: "\n") + "\n"
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/ok/x"), "--journal", dir.file("journal"),
                "--dead-letter", dir.file("dead.ndjson"),
            ] + Self.ok, stdin: input)
        #expect(out.status == 1)
        let results = try out.resultsByLine()
        for line in 1...forged.count {
            #expect(results[line]?["status"] as? String == "rejected", "line \(line): \(results[line] ?? [:])")
            #expect((results[line]?["error"] as? String)?.contains("id") == true)
        }
        #expect((7...9).allSatisfy { results[$0]?["status"] as? String == "delivered" })
        #expect(dir.read("dead.ndjson") == forged.joined(separator: "\n") + "\n")
        let sent = try receiver.webhookIDs()
        #expect(sent.count == 3)
        #expect(sent.contains("evt_2Zx9-ok.1") && sent.contains { $0.hasPrefix("msg_") && $0.count == 36 })
        #expect(try receiver.requests().allSatisfy { ($0["headers"] as? [String: Any])?["x-injected"] == nil })
        #expect(try Self.journalEntries(dir.file("journal")).count == 3)
        #expect(out.stderr.contains("<stdin>:1"))
    }

    @Test(arguments: [
        ("headers = { \"X-A\" = \"a\\r\\nX-B: b\" }", "control character"),
        ("headers = { \"X A\" = \"a\" }", "not a valid header name"),
        ("headers = { \"Content-Type\" = \"text/plain\" }", "set by lt-send"),
        ("headers = { \"webhook-id\" = \"x\" }", "set by lt-send"),
        ("headers = { \"Host\" = \"evil.example\" }", "set by lt-send"),
        (
            "headers = { \"Authorization\" = \"Basic x\" }\nauth = { type = \"bearer\", token_env = \"P_TOKEN\" }",
            "auth sets Authorization"
        ),
        ("auth = { type = \"bearer\", token_env = \"P_TOKEN\", tokn = \"x\" }", "unknown key \"tokn\""),
        ("signing = { secrets_env = \"P_SECRET\", algorithm = \"x\" }", "known keys: secrets_env, secrets_file"),
        ("tls = { cert_file = \"c.pem\", pasword_env = \"X\" }", "unknown key \"pasword_env\""),
        ("retrys = 3", "unknown key \"retrys\""),
        ("retry = 3", "retry must name a preset"),
        ("auth = { type = \"bearer\", token_env = \"EMPTY\" }", "is empty"),
        ("auth = { type = \"bearer\", token_file = \"empty-token\" }", "is empty"),
        ("auth = { type = \"bearer\", token_file = \"two-lines\" }", "line break"),
        (
            "auth = { type = \"oauth2\", token_url = \"https://u:p@127.0.0.1/t\", client_id_env = \"P_TOKEN\", client_secret_env = \"P_TOKEN\" }",
            "auth"
        ),
    ])
    func integrationsFileMistakesAreConfigurationErrors(_ lines: String, _ words: String) throws {
        let dir = try Workdir()
        try dir.write("empty-token", "\n")
        try dir.write("two-lines", "abc\ndef\n")
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "https://127.0.0.1:9/hook"
            \(lines)
            """)
        let out = try Tool.run(
            "lt-send", ["--integrations", config] + Self.ok, stdin: SendFixtures.lines(1, integration: "p"),
            env: ["P_TOKEN": "t0k3n", "P_SECRET": SendFixtures.secret(), "EMPTY": ""], cwd: dir.path)
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains(words), "\(out.stderr)")
        #expect(out.stdout.isEmpty)
        #expect(!out.stderr.contains("t0k3n") && !out.stderr.contains("u:p@"))
    }

    @Test func urlsAreParsedAtStartUpAndPrintedWithoutTheirQuery() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        for bad in ["https://user:pw@partner.example/x", "https://exa mple/x", "ftp://127.0.0.1/x"] {
            // --url is typed at parse time: a URL that cannot be sent is a usage error (64), before any input.
            let out = try Tool.run("lt-send", ["--url", bad] + Self.ok, stdin: SendFixtures.lines(1))
            #expect(out.status == 64, "\(bad): \(out.stderr)")
            #expect(out.stdout.isEmpty && !out.stderr.contains("pw@"))
        }
        let out = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x?key=s3cr3t"), "--verbose"] + Self.ok, stdin: SendFixtures.lines(2))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try out.records().allSatisfy { $0["url"] as? String == receiver.url("/ok/x") })
        #expect(!out.stdout.contains("s3cr3t") && !out.stderr.contains("s3cr3t"))
        #expect(try receiver.requests().allSatisfy { ($0["path"] as? String) == "/ok/x?key=s3cr3t" })
    }

    @Test func mutualTLSWithUrlAndPerIntegration() throws {
        let dir = try Workdir()
        let (ca, cert, key) = try SendFixtures.throwawayCA(in: dir)
        let client = try SendFixtures.clientCertificate(in: dir, password: "k3y-pass")
        let receiver = try Receiver(in: dir, arguments: ["--tls-cert", cert, "--tls-key", key, "--client-ca", ca])
        let base = ["--url", receiver.url("/ok/x"), "--allow-private", "--cacert", ca, "--retries", "0"]
        let without = try Tool.run("lt-send", base, stdin: SendFixtures.lines(1))
        #expect(without.status == 1)
        #expect(try receiver.requests().isEmpty)
        let with = try Tool.run(
            "lt-send", base + ["--cert", client.cert, "--key", client.key], stdin: SendFixtures.lines(2))
        #expect(with.status == 0, "\(with.stderr)")
        #expect(try receiver.requests().count == 2)
        #expect(try receiver.requests().allSatisfy { $0["client"] as? String == "lt-send test client" })
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "\(receiver.url("/ok/p"))"
            tls = { cert_file = "\(client.cert)", key_file = "\(client.encryptedKey)", key_password_env = "P_KEY_PASS" }
            """)
        let perIntegration = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-private", "--cacert", ca],
            stdin: SendFixtures.lines(2, integration: "p"), env: ["P_KEY_PASS": "k3y-pass"])
        #expect(perIntegration.status == 0, "\(perIntegration.stderr)")
        #expect(try receiver.requests(under: "/ok/p").count == 2)
        let missing = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-private", "--cacert", ca],
            stdin: SendFixtures.lines(1, integration: "p"))
        #expect(missing.status == 2, "\(missing.stderr)")
        #expect(missing.stderr.contains("P_KEY_PASS"))
    }

    @Test func journalEntriesAreScopedByDestination() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try LtSendDeliveryTests.integrations(dir, receiver, ["a": "/ok/a", "b": "/ok/b"])
        let input =
            SendFixtures.line("same-id", integration: "a") + "\n" + SendFixtures.line("same-id", integration: "b")
            + "\n"
        let args = ["--integrations", config, "--journal", dir.file("journal")] + Self.ok
        let first = try Tool.run("lt-send", args, stdin: input)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try first.records().allSatisfy { $0["status"] as? String == "delivered" })
        #expect(try Self.journalEntries(dir.file("journal")) == ["a same-id", "b same-id"])
        let again = try Tool.run("lt-send", args, stdin: input)
        #expect(try again.records().allSatisfy { $0["status"] as? String == "skipped" })
        // The same id to a --url destination is a third scope.
        let url = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/c"), "--journal", dir.file("journal")] + Self.ok,
            stdin: SendFixtures.line("same-id") + "\n")
        #expect(try url.records().first?["status"] as? String == "delivered")
        #expect(try receiver.requests().count == 3)
    }

    @Test func aSecondRunOnTheSameJournalOrDeadLetterFileIsRefusedAndToldWhoHoldsIt() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("in.ndjson", SendFixtures.lines(2))
        let first = try BackgroundTool(
            "lt-send",
            [
                "--url", receiver.url("/slow/30/x"), "--journal", dir.file("journal"),
                "--dead-letter", dir.file("dead.ndjson"), "--grace", "100ms",
            ] + Self.ok,
            stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count == 2 || !first.process.isRunning }
        let pid = first.process.processIdentifier
        let second = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--journal", dir.file("journal")] + Self.ok,
            stdin: SendFixtures.lines(1))
        #expect(second.status == 2)
        #expect(second.stderr.contains("in use") && second.stderr.contains("pid \(pid)"), "\(second.stderr)")
        let third = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--dead-letter", dir.file("dead.ndjson")] + Self.ok,
            stdin: SendFixtures.lines(1))
        #expect(third.status == 2)
        #expect(third.stderr.contains("pid \(pid)"), "\(third.stderr)")
        #expect(try receiver.requests().count == 2)
        first.signal(SIGTERM)
        _ = first.wait()
    }

    @Test func aJournalThatCannotBeReadStopsTheRun() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        try dir.write("text-journal", "msg-1\nmsg-2\n")
        // A SQLite header over garbage: damaged, not empty.
        try Data(Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0xA5, count: 8192)).write(
            to: URL(fileURLWithPath: dir.file("damaged")))
        for name in ["text-journal", "damaged"] {
            let out = try Tool.run(
                "lt-send", ["--url", receiver.url("/ok/x"), "--journal", dir.file(name)] + Self.ok,
                stdin: SendFixtures.lines(1))
            #expect(out.status == 2, "\(name): \(out.stderr)")
            #expect(out.stderr.contains("journal"), "\(out.stderr)")
            #expect(out.stdout.isEmpty)
        }
        #expect(try receiver.requests().isEmpty)
    }
}
