import Foundation
import Testing

/// Issue 24, point 6: client certificates and keys are loaded and checked at start-up, before
/// the first request and whatever the URL's scheme, and lt-send never prompts for a passphrase.
/// Real certificates made by openssl, a real receiver on 127.0.0.1.
@Suite struct LtSendTLSMaterialTests {
    /// Runs lt-send against a plain-http receiver with `tls` options; every bad case must stop it
    /// before a request is sent.
    func send(_ dir: Workdir, _ receiver: Receiver, _ tls: [String], env: [String: String] = [:]) throws -> ToolOutput {
        try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private"] + tls,
            stdin: SendFixtures.lines(1), env: env)
    }

    @Test func badCertificatesKeysAndPassphrasesAreExit2BeforeAnyRequest() throws {
        let dir = try Workdir()
        let (_, serverCert, serverKey) = try SendFixtures.throwawayCA(in: dir)
        let client = try SendFixtures.clientCertificate(in: dir, password: "k3y-pass")
        let receiver = try Receiver(in: dir)
        let junk = try dir.write(
            "junk.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
        chmod(client.key, 0o600)
        chmod(client.encryptedKey, 0o600)
        let cases: [(String, [String], [String: String])] = [
            ("is not a PEM certificate", ["--cert", junk, "--key", client.key], [:]),
            ("does not match the client certificate", ["--cert", client.cert, "--key", serverKey], [:]),
            ("no PEM private key", ["--cert", client.cert, "--key", serverCert], [:]),
            (
                "does not decrypt the private key",
                ["--cert", client.cert, "--key", client.encryptedKey, "--key-password-env", "PASS"],
                ["PASS": "wrong-pass"]
            ),
            ("is encrypted and no passphrase was given", ["--cert", client.cert, "--key", client.encryptedKey], [:]),
        ]
        for (says, tls, env) in cases {
            let out = try send(dir, receiver, tls, env: env)
            #expect(out.status == 2, "\(tls): \(out.stderr)")
            #expect(out.stderr.contains(says), "\(tls): \(out.stderr)")
            #expect(!out.stderr.contains("wrong-pass"))
        }
        // The same checks for an integration's tls.
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "\(receiver.url("/ok/p"))"
            tls = { cert_file = "\(client.cert)", key_file = "\(serverKey)" }
            """)
        let perIntegration = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private"],
            stdin: SendFixtures.lines(1, integration: "p"))
        #expect(perIntegration.status == 2, "\(perIntegration.stderr)")
        #expect(perIntegration.stderr.contains("p: the private key"), "\(perIntegration.stderr)")
        #expect(try receiver.requests().isEmpty)
        // The right passphrase goes; a key readable by others is named, as ssh does.
        chmod(client.encryptedKey, 0o644)
        let good = try send(
            dir, receiver, ["--cert", client.cert, "--key", client.encryptedKey, "--key-password-env", "PASS"],
            env: ["PASS": "k3y-pass"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("is readable by group or others (mode 644); run chmod 600"), "\(good.stderr)")
        #expect(try receiver.requests().count == 1)
    }

    @Test func anEncryptedKeyWithoutAPassphraseNeverPromptsOnATerminal() throws {
        let dir = try Workdir()
        let (ca, cert, key) = try SendFixtures.throwawayCA(in: dir)
        let client = try SendFixtures.clientCertificate(in: dir, password: "k3y-pass")
        let receiver = try Receiver(in: dir, arguments: ["--tls-cert", cert, "--tls-key", key, "--client-ca", ca])
        // `script` gives lt-send a terminal of its own: OpenSSL's default callback would ask there
        // ("Enter PEM pass phrase:") and wait; `timeout` ends that wait as a failure.
        // Its input comes from a file: only the terminal is left to ask a passphrase on.
        let input = try dir.write("in.ndjson", SendFixtures.lines(1))
        let out = try Tool.shell(
            """
            timeout 30 script -qec "$(printf '%q ' "$1" --url "$2" --allow-private --cacert "$3" --cert "$4" --key "$5") < $(printf '%q' "$6")" /dev/null < /dev/null
            """,
            args: ["", Tool.path("lt-send"), receiver.url("/ok/x"), ca, client.cert, client.encryptedKey, input])
        #expect(out.status == 2, "\(out.status): \(out.stdout) \(out.stderr)")
        #expect(out.stdout.contains("is encrypted and no passphrase was given"), "\(out.stdout)")
        #expect(!out.stdout.lowercased().contains("pass phrase"), "\(out.stdout)")
        #expect(try receiver.requests().isEmpty)
    }
}
