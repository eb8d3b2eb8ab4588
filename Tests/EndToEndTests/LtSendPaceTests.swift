import Foundation
import Testing

/// lt-send under the stresses operators meet (issue 25), with real receivers on 127.0.0.1 and
/// real pipes: a slow results reader, a token endpoint that is down, a flaky partner.
@Suite struct LtSendPaceTests {
    @Test func aReaderPausingLongerThanTheTimeoutCausesNoTimeoutAndNoDuplicate() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let count = 600
        let input = try dir.write("in.ndjson", SendFixtures.lines(count))
        // The reader takes nothing for 3 s, three times --timeout, from a one-page pipe that fills
        // after a dozen results; each answer takes 100 ms, so about 16 are in flight meanwhile.
        // (Before issue 25, about 15 of them timed out and were sent again.)
        let out = try Tool.shell(
            """
            python3 "$0/scripts/slow-reader.py" 3 lt-send --url "$1" --allow-http --allow-private --timeout 1s \\
              --retry-schedule 10ms < "$2"
            """, args: [Tool.packageRoot, receiver.url("/slow/0.1/slow-reader"), input])
        #expect(out.status == 0, "\(out.stderr)")
        let results = try out.resultsByLine()
        #expect(results.count == count)
        let retried = results.values.filter { $0["status"] as? String != "delivered" || $0["attempts"] as? Int != 1 }
        #expect(retried.isEmpty, "\(retried.count) lines not delivered at the first attempt: \(retried.prefix(2))")
        #expect(!out.stdout.contains("timed out"))
        let ids = try receiver.webhookIDs()
        #expect(ids.count == count && Set(ids).count == count, "\(ids.count - Set(ids).count) duplicate deliveries")
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
        let out = try Tool.run(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--breaker-cooldown", "1s",
                "--retries", "2", "--retry-schedule", "10ms", "--dead-letter", dir.file("dead.ndjson"),
            ],
            stdin: SendFixtures.lines(200, integration: "percipio"), env: ["P_ID": "lt"])
        #expect(out.status == 0, "\(out.stderr.suffix(600))")
        let results = try out.records()
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
        #expect(dir.read("dead.ndjson").isEmpty)
        // Five failures open the breaker, then one request per 1 s cooldown: never one per line.
        let tokenRequests = try receiver.requests(under: "/token").count
        #expect(tokenRequests <= 5 + 3 + 2, "\(tokenRequests) token requests")
        #expect(try receiver.requests(under: "/auth").count == 200)
    }
}
