import Foundation
import Testing

/// lt-send under the stresses operators meet (issue 25), with real receivers on 127.0.0.1 and
/// real pipes: a slow results reader, a token endpoint that is down, a flaky partner.
@Suite struct LtSendPaceTests {
    @Test func aReaderPausingLongerThanTheTimeoutCausesNoTimeoutAndNoDuplicate() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let count = 2000
        let input = try dir.write("in.ndjson", SendFixtures.lines(count))
        // Half-way through, the reader takes nothing for 3 s, three times --timeout, from a one-page
        // pipe that fills after a dozen results; each answer takes 50 ms, so about 16 are in flight
        // meanwhile. (Before issue 25, about 15 of them timed out and were sent again.)
        let out = try Tool.shell(
            """
            python3 "$0/scripts/slow-reader.py" --after 1000 3 lt-send --url "$1" --allow-http --allow-private \
              --timeout 1s --retry-schedule 10ms --dead-letter "$3" < "$2"
            """,
            args: [
                Tool.packageRoot, receiver.url("/slow/0.05/slow-reader"), input, dir.file("dead.ndjson"),
            ])
        _ = try dir.write("results.ndjson", out.stdout)
        #expect(out.status == 0, "\(out.stderr)")
        let results = try out.resultsByLine()
        #expect(results.count == count)
        let retried = results.values.filter { $0["status"] as? String != "delivered" || $0["attempts"] as? Int != 1 }
        #expect(retried.isEmpty, "\(retried.count) lines not delivered at the first attempt: \(retried.prefix(2))")
        let timedOut = out.stdout.components(separatedBy: "timed out").count - 1
        #expect(timedOut == 0)
        let ids = try receiver.webhookIDs()
        #expect(ids.count == count && Set(ids).count == count, "\(ids.count - Set(ids).count) duplicate deliveries")
        let summary = try ReliabilityTests.checkDelivery(
            input: input, results: [dir.file("results.ndjson")], deadLetter: dir.file("dead.ndjson"),
            received: receiver.recordPath)
        ReliabilityTests.recordFigures(
            "slow reader: results not read for 3 s (three times --timeout) after line 1,000, \(timedOut) timed out, "
                + "\(retried.count) not delivered at the first attempt", summary)
    }
}

extension LtSendPaceTests {
    @Test func anIdentityProviderOutageHoldsTheLinesInsteadOfDeadLetteringThem() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret")
        let receiver = try Receiver(in: dir, arguments: ["--client-id", "lt", "--client-secret", "client-s3cret"])
        // The token endpoint answers 503 for its first 3 s; the partner is up all along.
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.percipio]
            url = "\(receiver.url("/auth/percipio"))"
            auth = { type = "oauth2", token_url = "\(receiver.url("/token/down/3/idp"))", client_id_env = "P_ID", client_secret_file = "\(dir.file("secret"))" }
            """)
        let input = try dir.write("in.ndjson", SendFixtures.lines(200, integration: "percipio"))
        let out = try Tool.run(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--breaker-cooldown", "1s",
                "--retries", "2", "--retry-schedule", "10ms", "--dead-letter", dir.file("dead.ndjson"),
            ],
            stdin: dir.read("in.ndjson"), env: ["P_ID": "lt"])
        #expect(out.status == 0, "\(out.stderr.suffix(600))")
        let results = try out.records()
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
        #expect(dir.read("dead.ndjson").isEmpty)
        // Five failures open the breaker, then one request per 1 s cooldown: never one per line.
        let tokenRequests = try receiver.requests(under: "/token").count
        #expect(tokenRequests <= 5 + 3 + 2, "\(tokenRequests) token requests")
        let deliveries = try receiver.requests(under: "/auth")
        #expect(deliveries.count == 200)
        // The invariant over the partner's requests only: token requests carry no webhook-id.
        let received = try dir.write(
            "received.ndjson",
            try deliveries.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
                .joined(separator: "\n") + "\n")
        _ = try dir.write("results.ndjson", out.stdout)
        let summary = try ReliabilityTests.checkDelivery(
            input: input, results: [dir.file("results.ndjson")], deadLetter: dir.file("dead.ndjson"), received: received
        )
        ReliabilityTests.recordFigures(
            "identity provider down: OAuth2 token endpoint answering 503 for 3 s, partner up, --breaker-cooldown 1s: "
                + "\(tokenRequests) token requests", summary)
    }
}

extension LtSendPaceTests {
    /// A flaky partner does not stall reading: lines waiting for a retry (an hour here) stay out of
    /// the `--window` line count, so the lines behind them are read and delivered meanwhile. Before,
    /// the first 4 failures filled a window of 4 and nothing more was read until their retries.
    @Test func linesWaitingForARetryLeaveTheWindowToTheLinesBehind() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let count = 40
        let input = try dir.write("in.ndjson", SendFixtures.lines(count))
        let tool = try BackgroundTool(
            "lt-send",
            [
                "--url", receiver.url("/every/1000/4/x"), "--allow-http", "--allow-private", "--concurrency", "2",
                "--window", "4", "--retry-schedule", "1h", "--grace", "200ms", "--dead-letter", dir.file("dead.ndjson"),
            ], stdinFile: input, in: dir)
        // The receiver answers 503 to its first 4 requests and 200 to the rest.
        let delivered = { try receiver.requests(under: "/every").filter { $0["answered"] as? Int == 200 }.count }
        try awaitCondition { try delivered() >= count - 4 || !tool.process.isRunning }
        try #require(tool.process.isRunning, "lt-send ended early: \(tool.stderr)")
        tool.signal(SIGTERM)
        #expect(tool.wait() == 143)
        _ = try dir.write("results.ndjson", tool.stdout)
        let results = try ToolOutput(stdout: tool.stdout, stderr: tool.stderr, status: 143).resultsByLine()
        #expect(results.count == count)
        let waiting = results.values.filter { $0["status"] as? String != "delivered" }
        #expect(waiting.count == 4)
        #expect(
            waiting.allSatisfy {
                ($0["error"] as? String)?.contains("interrupted") == true && $0["attempts"] as? Int == 1
            })
        let ids = try receiver.webhookIDs()
        #expect(ids.count == count && Set(ids).count == count, "\(ids.count) requests, \(Set(ids).count) ids")
        _ = try ReliabilityTests.checkDelivery(
            input: input, results: [dir.file("results.ndjson")], deadLetter: dir.file("dead.ndjson"),
            received: receiver.recordPath)
    }
}
