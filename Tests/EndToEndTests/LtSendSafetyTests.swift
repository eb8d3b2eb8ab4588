import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// https only, the private-address guard, TLS with a throwaway CA, and secrets kept out of output.
@Suite struct LtSendSafetyTests {
    @Test func plainHttpIsRefusedWithoutAllowHttp() throws {
        let out = try Tool.run(
            "lt-send", ["--url", "http://127.0.0.1:9/x", "--allow-private"], stdin: SendFixtures.lines(1))
        #expect(out.status == 2)
        #expect(out.stderr.contains("--allow-http"))
        #expect(out.stdout.isEmpty)
    }

    @Test func privateDestinationsAreRefusedOnTheConnectedAddress() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // "localhost" is a name: the check is on the address actually connected to.
        let url = "http://localhost:\(receiver.port)/ok/x"
        let out = try Tool.run(
            "lt-send", ["--url", url, "--allow-http", "--dead-letter", dir.file("dead.ndjson")],
            stdin: SendFixtures.lines(2))
        #expect(out.status == 1)
        let r = try out.records()
        #expect(r.count == 2)
        #expect(r.allSatisfy { $0["status"] as? String == "failed" && ($0["attempts"] as? Int) == 1 })
        #expect(r.allSatisfy { ($0["error"] as? String)?.contains("--allow-private") == true })
        #expect(try receiver.requests().isEmpty)
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 2)
        let allowed = try Tool.run(
            "lt-send", ["--url", url, "--allow-http", "--allow-private"], stdin: SendFixtures.lines(2))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try receiver.requests().count == 2)
        let listed = try Tool.run(
            "lt-send", ["--url", url, "--allow-http", "--allow-address", "127.0.0.0/8", "--allow-address", "::1"],
            stdin: SendFixtures.lines(2))
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(try receiver.requests().count == 4)
    }

    @Test func aRefusedAddressReceivesNoConnectionAndEveryRefusalReadsTheSame() throws {
        let open = try Listener()
        let closedPort = try Listener().port  // closed at once: nothing listens there
        let run = { (port: Int) throws -> ToolOutput in
            try Tool.run(
                "lt-send", ["--url", "http://localhost:\(port)/x", "--allow-http", "--retries", "0"],
                stdin: SendFixtures.lines(1))
        }
        let toOpen = try run(open.port)
        #expect(toOpen.status == 1)
        #expect(!open.connected(), "a connection reached the refused address")
        let toClosed = try run(closedPort)
        // The cause names the host and port asked for; what follows must not tell the ports apart.
        let errors = try [toOpen, toClosed].map { out -> String? in
            let e = try out.records().first?["error"] as? String
            return e.map { $0.replacing(#/^POST to localhost:\d+ failed: /#, with: "") }
        }
        #expect(errors[0]?.hasPrefix("refused: ") == true, "\(errors)")
        #expect(errors[0] == errors[1], "an open and a closed port must not be told apart")
    }

    @Test func httpsIsVerifiedAgainstTheGivenCA() throws {
        let dir = try Workdir()
        let (ca, cert, key) = try SendFixtures.throwawayCA(in: dir)
        let receiver = try Receiver(in: dir, arguments: ["--tls-cert", cert, "--tls-key", key])
        #expect(receiver.url().hasPrefix("https://127.0.0.1:"))
        let untrusted = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-private"], stdin: SendFixtures.lines(1))
        #expect(untrusted.status == 1)
        let r = try untrusted.records()
        #expect(r.first?["attempts"] as? Int == 1)  // a certificate problem is not retried
        #expect((r.first?["error"] as? String)?.lowercased().contains("certificate") == true)
        // libcurl's own text and the verification result, with a hint at --cacert.
        #expect((r.first?["error"] as? String)?.contains("verification result") == true, "\(r)")
        #expect((r.first?["error"] as? String)?.contains("--cacert") == true)
        #expect(try receiver.requests().isEmpty)
        let trusted = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-private", "--cacert", ca], stdin: SendFixtures.lines(3)
        )
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(try receiver.requests().count == 3)
        // Without --cacert, the CA named by CURL_CA_BUNDLE or SSL_CERT_FILE is trusted, as curl does.
        for variable in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
            let env = try Tool.shell(
                "env -u CURL_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR \"$0=$1\" lt-send --url \"$2\" --allow-private",
                args: [variable, ca, receiver.url("/ok/x")], stdin: SendFixtures.lines(1))
            #expect(env.status == 0, "\(variable): \(env.stderr)")
        }
        #expect(try receiver.requests().count == 5)
    }

    @Test func dryRunPrintsRequestsWithSecretsMaskedAndSendsNothing() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let secret = SendFixtures.secret()
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.partner]
            url = "\(receiver.url("/ok/x"))"
            headers = { "X-Source" = "openedx" }
            auth = { type = "bearer", token_env = "PARTNER_TOKEN" }
            signing = { secrets_env = "PARTNER_SIGNING" }
            """)
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--dry-run", "--verbose"],
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
        let inline = try dir.write(
            "bad.toml", "[integrations.a]\nurl = \"https://a.example\"\nauth = { type = \"bearer\", token = \"abc\" }\n"
        )
        let out = try Tool.run("lt-send", ["--integrations", inline])
        #expect(out.status == 2)
        #expect(out.stderr.contains("token_env"))
        #expect(!out.stderr.contains("abc"))
    }
}

/// A listening socket on 127.0.0.1 that never accepts: a connection made to it waits in its backlog.
final class Listener {
    let fd: Int32
    let port: Int

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, len) == 0 && listen(s, 16) == 0 && getsockname(s, $0, &len) == 0
            }
        }
        guard ok else {
            close(s)
            throw TestFailure("cannot listen on 127.0.0.1")
        }
        fd = s
        port = Int(UInt16(bigEndian: a.sin_port))
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
    }

    /// True when a connection arrived (the kernel completes the handshake without accept).
    func connected() -> Bool {
        let c = accept(fd, nil, nil)
        if c >= 0 { close(c) }
        return c >= 0
    }

    deinit { close(fd) }
}
