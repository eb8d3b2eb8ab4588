import Foundation
import Testing

/// Issue 24, point 2: no secret lt-send knows leaves in what a partner or a token endpoint sends
/// back. Real receivers on 127.0.0.1 echo the request's headers into a 500 body, and a real token
/// endpoint answers the client secret it was sent as its error code.
@Suite struct LtSendSecretsTests {
    @Test func aPartnerEchoingTheRequestLeaksNoSecretAnywhere() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir, arguments: ["--token-value", "access-T0KEN-from-the-idp"])
        let signing = SendFixtures.secret()
        let secrets = [
            "static-B3ARER-token", "access-T0KEN-from-the-idp", "client-S3CRET-one", "client-S3CRET-two", signing,
            String(signing.dropFirst(6)),
        ]
        try dir.write("secret-one", "client-S3CRET-one")
        try dir.write("secret-two", "client-S3CRET-two")
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.bearer]
            url = "\(receiver.url("/echo/b"))"
            auth = { type = "bearer", token_env = "B_TOKEN" }
            signing = { secrets_env = "SIGNING" }

            [integrations.oauth]
            url = "\(receiver.url("/echo/o"))"
            auth = { type = "oauth2", token_url = "\(receiver.url("/token"))", client_id_env = "P_ID", client_secret_file = "\(dir.file("secret-one"))" }

            [integrations.refused]
            url = "\(receiver.url("/echo/r"))"
            auth = { type = "oauth2", token_url = "\(receiver.url("/token/echo"))", client_id_env = "P_ID", client_secret_file = "\(dir.file("secret-two"))" }
            """)
        let input = ["bearer", "oauth", "refused"].map { SendFixtures.lines(1, prefix: $0, integration: $0) }.joined()
        let out = try Tool.run(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--retries", "0", "--verbose",
                "--attempts", dir.file("attempts.ndjson"), "--dead-letter", dir.file("dead.ndjson"),
            ],
            stdin: input, env: ["B_TOKEN": "static-B3ARER-token", "SIGNING": signing, "P_ID": "lt-client"])
        #expect(out.status == 1, "\(out.stderr)")
        // The partner did echo them: the echoes are there, masked.
        let echoes = try receiver.requests(under: "/echo").count
        #expect(echoes == 2)
        let results = try out.records()
        let responses = results.compactMap { $0["response"] as? String }
        #expect(responses.count == 2)
        #expect(responses.allSatisfy { $0.contains("Bearer ***") }, "\(responses)")
        let refused = results.first { $0["integration"] as? String == "refused" }?["error"] as? String ?? ""
        #expect(refused.contains("refused the client (401 ***)"), "\(refused)")
        for (name, text) in [
            ("results", out.stdout), ("stderr", out.stderr), ("attempt log", dir.read("attempts.ndjson")),
            ("dead-letter file", dir.read("dead.ndjson")),
        ] {
            #expect(!text.isEmpty, "\(name) is empty")
            for secret in secrets { #expect(!text.contains(secret), "\(name) holds \(secret)") }
        }
    }
}
