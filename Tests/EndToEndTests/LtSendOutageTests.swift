import Foundation
import Testing

/// lt-send against real receivers on 127.0.0.1 that go down: lines are held, not dumped; a hanging
/// OAuth2 token endpoint holds up only its integration; every attempt is in the attempt log.
@Suite struct LtSendOutageTests {
    @Test func anOutageIsWaitedOutAndEveryAttemptIsLogged() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // 503 for 1.5 s from the first request, then 200; the query must not reach results or the log.
        let url = receiver.url("/down/1.5/x?key=s3cret")
        let out = try Tool.run(
            "lt-send",
            [
                "--url", url, "--allow-http", "--allow-private", "--concurrency", "4",
                "--breaker-failures", "3", "--breaker-cooldown", "400ms", "--retry-schedule", "100ms",
                "--attempts", dir.file("attempts.ndjson"), "--dead-letter", dir.file("dead.ndjson"),
            ],
            stdin: SendFixtures.lines(100))
        #expect(out.status == 0, "\(out.stderr.suffix(500))")
        let results = try out.records()
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0["status"] as? String == "delivered" })
        #expect(results.allSatisfy { ($0["finished_at"] as? String)?.hasSuffix("Z") == true })
        #expect(!FileManager.default.fileExists(atPath: dir.file("dead.ndjson")) || dir.read("dead.ndjson").isEmpty)
        // During the outage only the attempts until the breaker's rate rule opened it (50 % of at least
        // 50), those in flight and a probe per cooldown went out; without a breaker, 4 lines in
        // flight retrying every 100 ms for 1.5 s (and the held ones) send far more.
        let requests = try receiver.requests()
        let refused = requests.filter { $0["answered"] as? Int == 503 }
        #expect(refused.count <= 50 + 4 + 6, "\(refused.count) requests during the outage")
        // One attempt record per request, with the fields of docs/contract.md.
        let attempts = dir.read("attempts.ndjson").split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(attempts.count == requests.count)
        for a in attempts {
            for key in [
                "line", "source", "id", "integration", "url", "attempt", "started_at", "duration_ms", "http_status",
                "error", "response",
            ] {
                #expect(a.keys.contains(key), "attempt record lacks \(key)")
            }
            #expect(a["url"] as? String == receiver.url("/down/1.5/x"))
        }
        let failed = attempts.filter { $0["http_status"] as? Int == 503 }
        #expect(failed.count == refused.count)
        #expect(
            failed.allSatisfy { ($0["error"] as? String)?.contains("127.0.0.1:\(receiver.port) answered 503") == true })
        #expect(failed.allSatisfy { $0["response"] as? String == "receiver down for maintenance \u{270B}" })
        // A line tried more than once has its attempts numbered from 1.
        let byLine = Dictionary(grouping: attempts) { $0["line"] as! Int }
        for (_, list) in byLine { #expect(list.compactMap { $0["attempt"] as? Int }.sorted() == Array(1...list.count)) }
        #expect(!out.stdout.contains("s3cret") && !dir.read("attempts.ndjson").contains("s3cret"))
    }

    @Test func aHangingTokenEndpointHoldsUpOnlyItsIntegrationAndSIGINTEndsTheRun() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret")
        try dir.write("id", "lt")
        let receiver = try Receiver(in: dir)
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.percipio]
            url = "\(receiver.url("/auth/x"))"
            timeout = 60
            auth = { type = "oauth2", token_url = "\(receiver.url("/slow/120/token"))", client_id_file = "\(dir.file("id"))", client_secret_file = "\(dir.file("secret"))" }
            [integrations.plain]
            url = "\(receiver.url("/ok/x"))"
            """)
        let input = try dir.write(
            "in.ndjson",
            SendFixtures.lines(3, prefix: "p", integration: "percipio")
                + SendFixtures.lines(20, prefix: "q", integration: "plain"))
        let tool = try BackgroundTool(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--grace", "200ms",
                "--dead-letter", dir.file("dead.ndjson"),
            ], stdinFile: input, in: dir)
        // Every line of the other integration is delivered while the token request hangs.
        try awaitCondition { tool.stdout.split(separator: "\n").count >= 20 || !tool.process.isRunning }
        try #require(tool.process.isRunning, "lt-send ended early: \(tool.stderr)")
        #expect(try receiver.requests(under: "/ok").count == 20)
        tool.signal(SIGINT)
        #expect(tool.wait() == 130)
        let results = try ToolOutput(stdout: tool.stdout, stderr: tool.stderr, status: 130).records()
        #expect(results.count == 23)
        let waiting = results.filter { ($0["id"] as? String)?.hasPrefix("p-") == true }
        #expect(waiting.count == 3)
        #expect(waiting.allSatisfy { ($0["error"] as? String)?.contains("waiting for an OAuth2 token") == true })
        #expect(try receiver.requests(under: "/slow").count == 1)
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 3)
    }

    @Test func integrationsFileChoosesRetryPresetsAndStatuses() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try LtSendDeliveryTests.integrations(
            dir, receiver, ["strict": "/status/404/a", "svix": "/status/404/b"],
            extra: [
                "svix": """
                retry_schedule = ["50ms"]
                retries = 2
                retry_statuses = ["all"]
                """
            ])
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private"],
            stdin: SendFixtures.line("s1", integration: "strict") + "\n" + SendFixtures.line("v1", integration: "svix")
                + "\n")
        let r = try out.resultsByLine()
        #expect(r[1]?["attempts"] as? Int == 1)
        #expect(r[1]?["status"] as? String == "failed")
        #expect(r[1]?["response"] as? String == #"{"error": "test receiver"}"#)
        #expect(r[2]?["status"] as? String == "failed")
        #expect(r[2]?["attempts"] as? Int == 3)
        #expect((r[2]?["error"] as? String)?.contains("gave up after 3 attempts") == true)
        let bad = try dir.write(
            "bad.toml",
            """
            [integrations.x]
            url = "\(receiver.url("/ok"))"
            retry = "forever"
            """)
        let refused = try Tool.run("lt-send", ["--integrations", bad, "--allow-http", "--allow-private"], stdin: "")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("standard-webhooks"))
    }
}
