import Foundation
import Testing

/// Signing checked by the official standardwebhooks package, bearer tokens, and OAuth2 client
/// credentials against a real token endpoint on 127.0.0.1.
@Suite struct LtSendAuthTests {
    @Test func signaturesVerifyWithStandardWebhooksForEverySecretAndAcrossRetries() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let (old, new) = (SendFixtures.secret(), SendFixtures.secret())
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.partner]
            url = "\(receiver.url("/retry-after/1/x"))"
            signing = { secrets_env = "PARTNER_SIGNING" }
            """)
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--verbose"],
            stdin: SendFixtures.lines(3, integration: "partner"), env: ["PARTNER_SIGNING": "\(old) \(new)"])
        #expect(out.status == 0, "\(out.stderr)")
        // Two attempts per line (the first answered 429 with Retry-After: 1), each verified with both secrets of the rotation.
        #expect(try SendFixtures.verifyWithStandardWebhooks(record: receiver.recordPath, secrets: [old, new]) == 6)
        let requests = try receiver.requests()
        for id in (1...3).map({ "msg-\($0)" }) {
            let attempts = requests.filter { ($0["headers"] as? [String: Any])?["webhook-id"] as? String == id }
            try #require(attempts.count == 2)
            let h0 = attempts[0]["headers"] as! [String: Any]
            let h1 = attempts[1]["headers"] as! [String: Any]
            // The id stays; the timestamp and the signature are renewed (the retry waits a second).
            #expect(h0["webhook-timestamp"] as? String != h1["webhook-timestamp"] as? String)
            #expect(h0["webhook-signature"] as? String != h1["webhook-signature"] as? String)
            #expect((h0["webhook-signature"] as? String)?.split(separator: " ").count == 2)
        }
        #expect(!out.stderr.contains(old.dropFirst(6)) && !out.stderr.contains(new.dropFirst(6)))
    }

    @Test func idsAreDerivedFromTheDeduplicationKeyAndStableAcrossRuns() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let payload =
            #"{"user":{"id":7},"course":{"course_id":"course-v1:X+Y+Z"},"enterprise":{"enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"},"completion":{"completion_date":"2026-01-10T15:30:00Z"}}"#
        for _ in 0..<2 {
            let out = try Tool.run(
                "lt-send", ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private"], stdin: payload + "\n")
            #expect(out.status == 0, "\(out.stderr)")
        }
        let ids = try receiver.webhookIDs()
        #expect(ids.count == 2)
        #expect(ids[0] == ids[1])
        #expect(ids[0].hasPrefix("msg_"))
    }

    @Test func bearerTokenComesFromTheEnvironmentAndIsNeverPrinted() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try LtSendDeliveryTests.integrations(
            dir, receiver, ["partner": "/ok/x"],
            extra: ["partner": #"auth = { type = "bearer", token_env = "PARTNER_TOKEN" }"#])
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--verbose"],
            stdin: SendFixtures.lines(1, integration: "partner"), env: ["PARTNER_TOKEN": "s3cr3t-bearer"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            (try receiver.requests().first?["headers"] as? [String: Any])?["authorization"] as? String
                == "Bearer s3cr3t-bearer")
        #expect(!out.stderr.contains("s3cr3t") && !out.stdout.contains("s3cr3t"))
        let missing = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private"],
            stdin: SendFixtures.lines(1, integration: "partner"))
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("PARTNER_TOKEN"))
    }

    static func oauthConfig(_ dir: Workdir, _ receiver: Receiver) throws -> String {
        try dir.write(
            "integrations.toml",
            """
            [integrations.percipio]
            url = "\(receiver.url("/auth/x"))"
            auth = { type = "oauth2", token_url = "\(receiver.url("/token"))", client_id_env = "P_ID", client_secret_file = "\(dir.file("secret"))", scope = "api" }
            """)
    }

    /// lt-send over `lines` lines for the integration of ``oauthConfig(_:_:)``, with `options` added.
    static func sendOAuth(_ dir: Workdir, _ receiver: Receiver, lines: Int, _ options: [String]) throws -> ToolOutput {
        try Tool.run(
            "lt-send", ["--integrations", try oauthConfig(dir, receiver), "--allow-http", "--allow-private"] + options,
            stdin: SendFixtures.lines(lines, integration: "percipio"), env: ["P_ID": "lt"])
    }

    @Test func oauth2TokenIsFetchedOnceAndCached() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret\n")
        let receiver = try Receiver(
            in: dir, arguments: ["--client-id", "lt", "--client-secret", "client-s3cret", "--token-ttl", "3600"])
        let out = try Self.sendOAuth(dir, receiver, lines: 4, ["--concurrency", "1", "--verbose"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try receiver.requests(under: "/token").count == 1)
        let auth = try receiver.requests(under: "/auth").map {
            ($0["headers"] as? [String: Any])?["authorization"] as? String
        }
        #expect(auth == Array(repeating: "Bearer tok-1", count: 4))
        #expect(!out.stderr.contains("client-s3cret"))
        let form = try receiver.requests(under: "/token").first?["body"] as? String ?? ""
        #expect(form.contains("grant_type=client_credentials") && form.contains("scope=api"))
    }

    @Test func oauth2TokenIsRefreshedOnceOn401() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret")
        let receiver = try Receiver(
            in: dir, arguments: ["--client-id", "lt", "--client-secret", "client-s3cret", "--revoke-first-token"])
        let out = try Self.sendOAuth(dir, receiver, lines: 3, ["--concurrency", "1"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try receiver.requests(under: "/token").count == 2)
        let auth = try receiver.requests(under: "/auth").map {
            ($0["headers"] as? [String: Any])?["authorization"] as? String
        }
        #expect(auth == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-2", "Bearer tok-2"])
    }

    @Test func oauth2TokenCloseToExpiryIsNotReused() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret")
        // expires_in 60: cached until 60 s before it expires, that is not at all.
        let receiver = try Receiver(in: dir, arguments: ["--token-ttl", "60"])
        let out = try Self.sendOAuth(dir, receiver, lines: 3, ["--concurrency", "1"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try receiver.requests(under: "/token").count == 3)
    }

    @Test func oauth2WrongCredentialsFailTheLines() throws {
        let dir = try Workdir()
        try dir.write("secret", "wrong")
        let receiver = try Receiver(in: dir, arguments: ["--client-id", "lt", "--client-secret", "client-s3cret"])
        let out = try Self.sendOAuth(dir, receiver, lines: 3, ["--retries", "1", "--retry-schedule", "10ms"])
        #expect(out.status == 1)
        // A configuration problem: said once, one token request, every line failed with the reason.
        let r = try out.records()
        #expect(r.count == 3)
        #expect(
            r.allSatisfy { ($0["error"] as? String)?.contains("refused the client (401 invalid_client)") == true },
            "\(r)")
        #expect(try receiver.requests(under: "/token").count == 1)
        #expect(out.stderr.components(separatedBy: "refused the client").count - 1 <= 1 + 3, "\(out.stderr)")
        #expect(try receiver.requests(under: "/auth").isEmpty)
    }
}
