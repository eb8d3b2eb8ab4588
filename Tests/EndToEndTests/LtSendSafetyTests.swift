import Foundation
import Testing

/// https only, the private-address guard, TLS with a throwaway CA, and secrets kept out of output.
@Suite struct LtSendSafetyTests {
    @Test func plainHttpIsRefusedWithoutAllowHttp() throws {
        let out = try Tool.run("lt-send", ["--url", "http://127.0.0.1:9/x", "--allow-private"], stdin: SendFixtures.lines(1))
        #expect(out.status == 2)
        #expect(out.stderr.contains("--allow-http"))
        #expect(out.stdout.isEmpty)
    }

    @Test func privateDestinationsAreRefusedOnTheConnectedAddress() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // "localhost" is a name: the check is on the address actually connected to.
        let url = "http://localhost:\(receiver.port)/ok/x"
        let out = try Tool.run("lt-send", ["--url", url, "--allow-http", "--dead-letter", dir.file("dead.ndjson")], stdin: SendFixtures.lines(2))
        #expect(out.status == 1)
        let r = try out.records()
        #expect(r.count == 2)
        #expect(r.allSatisfy { $0["status"] as? String == "failed" && ($0["attempts"] as? Int) == 1 })
        #expect(r.allSatisfy { ($0["error"] as? String)?.contains("--allow-private") == true })
        #expect(try receiver.requests().isEmpty)
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 2)
        let allowed = try Tool.run("lt-send", ["--url", url, "--allow-http", "--allow-private"], stdin: SendFixtures.lines(2))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try receiver.requests().count == 2)
        let listed = try Tool.run("lt-send", ["--url", url, "--allow-http", "--allow-address", "127.0.0.0/8", "--allow-address", "::1"],
                                  stdin: SendFixtures.lines(2))
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(try receiver.requests().count == 4)
    }

    @Test func httpsIsVerifiedAgainstTheGivenCA() throws {
        let dir = try Workdir()
        let (ca, cert, key) = try SendFixtures.throwawayCA(in: dir)
        let receiver = try Receiver(in: dir, arguments: ["--tls-cert", cert, "--tls-key", key])
        #expect(receiver.url().hasPrefix("https://127.0.0.1:"))
        let untrusted = try Tool.run("lt-send", ["--url", receiver.url("/ok/x"), "--allow-private"], stdin: SendFixtures.lines(1))
        #expect(untrusted.status == 1)
        let r = try untrusted.records()
        #expect(r.first?["attempts"] as? Int == 1) // a certificate problem is not retried
        #expect((r.first?["error"] as? String)?.lowercased().contains("certificate") == true)
        #expect(try receiver.requests().isEmpty)
        let trusted = try Tool.run("lt-send", ["--url", receiver.url("/ok/x"), "--allow-private", "--cacert", ca], stdin: SendFixtures.lines(3))
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(try receiver.requests().count == 3)
    }

    @Test func dryRunPrintsRequestsWithSecretsMaskedAndSendsNothing() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let secret = SendFixtures.secret()
        let config = try dir.write("integrations.toml", """
            [integrations.partner]
            url = "\(receiver.url("/ok/x"))"
            headers = { "X-Source" = "openedx" }
            auth = { type = "bearer", token_env = "PARTNER_TOKEN" }
            signing = { secrets_env = "PARTNER_SIGNING" }
            """)
        let out = try Tool.run("lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--dry-run", "--verbose"],
                               stdin: SendFixtures.lines(2, integration: "partner"),
                               env: ["PARTNER_TOKEN": "s3cr3t-bearer", "PARTNER_SIGNING": secret])
        #expect(out.status == 0, "\(out.stderr)")
        let r = try out.records()
        #expect(r.count == 2)
        let headers = try #require(r.first?["headers"] as? [String: Any])
        #expect(headers["Authorization"] as? String == "Bearer ***")
        #expect(headers["webhook-signature"] as? String == "v1,***")
        #expect(headers["webhook-id"] as? String == "msg-1")
        #expect(headers["X-Source"] as? String == "openedx")
        #expect((r.first?["body"] as? [String: Any])?["n"] as? Int == 1)
        #expect(r.first?["method"] as? String == "POST")
        for text in [out.stdout, out.stderr] {
            #expect(!text.contains("s3cr3t") && !text.contains(secret.dropFirst(6)))
        }
        #expect(try receiver.requests().isEmpty)
    }

    @Test func usageAndConfigurationErrorsHaveTheirExitStatus() throws {
        #expect(try Tool.run("lt-send", ["--url", "https://a.example", "--integrations", "x.toml"]).status == 64)
        #expect(try Tool.run("lt-send", ["--url", "https://a.example", "--concurrency", "0"]).status == 64)
        #expect(try Tool.run("lt-send", ["--integrations", "/nonexistent.toml"]).status == 2)
        let dir = try Workdir()
        let inline = try dir.write("bad.toml", "[integrations.a]\nurl = \"https://a.example\"\nauth = { type = \"bearer\", token = \"abc\" }\n")
        let out = try Tool.run("lt-send", ["--integrations", inline])
        #expect(out.status == 2)
        #expect(out.stderr.contains("token_env"))
        #expect(!out.stderr.contains("abc"))
    }
}
