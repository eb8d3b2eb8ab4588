import Foundation

/// Inputs and independent checkers for lt-send's end-to-end tests.
enum SendFixtures {
    /// An envelope line with `id`, an optional `integration` and a small payload.
    static func line(_ id: String, integration: String? = nil, n: Int = 0) -> String {
        let route = integration.map { #","integration":"\#($0)""# } ?? ""
        return #"{"id":"\#(id)"\#(route),"payload":{"event_type":"course_completion","n":\#(n)}}"#
    }

    /// An integrations file in `dir` with one integration per name, sending to its URL, and each
    /// integration's further settings from `extra`.
    static func integrations(in dir: Workdir, _ urls: [String: String], extra: [String: String] = [:]) throws -> String
    {
        var toml = ""
        for (name, url) in urls.sorted(by: { $0.key < $1.key }) {
            toml += "[integrations.\(name)]\nurl = \"\(url)\"\n\(extra[name] ?? "")\n"
        }
        return try dir.write("integrations.toml", toml)
    }

    /// `count` lines with ids `prefix-1` …, one per line, newline-terminated.
    static func lines(_ count: Int, prefix: String = "msg", integration: String? = nil) -> String {
        (1...count).map { line("\(prefix)-\($0)", integration: integration, n: $0) + "\n" }.joined()
    }

    /// A Standard Webhooks secret (`whsec_` and base64 of 24 random bytes).
    static func secret() -> String {
        "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Checks every recorded request with the official `standardwebhooks` package, once per secret;
    /// returns the number verified per secret, or throws with the package's complaint.
    static func verifyWithStandardWebhooks(record: String, secrets: [String]) throws -> Int {
        let script = """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            record, secrets = sys.argv[1], sys.argv[2:]
            n = 0
            for line in open(record):
                r = json.loads(line)
                for s in secrets:
                    Webhook(s).verify(r["body"].encode(), r["headers"])
                n += 1
            print(n)
            """
        let out = try Tool.shell("python3 -c \"$0\" \"$@\"", args: [script, record] + secrets)
        guard out.status == 0, let n = Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("standardwebhooks refused a request: \(out.stderr)")
        }
        return n
    }

    /// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`.
    /// Returns (CA certificate, server certificate, server key).
    static func throwawayCA(in dir: Workdir) throws -> (ca: String, cert: String, key: String) {
        let out = try Tool.shell(
            """
            set -e
            cd "$0"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj "/CN=lt test CA" 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext.cnf 2>/dev/null
            """, args: [dir.path])
        guard out.status == 0 else { throw TestFailure("openssl failed: \(out.stderr)") }
        return (dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key"))
    }
}

extension SendFixtures {
    /// A client certificate (CN "lt-send test client") signed by the CA that ``throwawayCA(in:)`` made in
    /// `dir`, its key, and the same key encrypted with `password`.
    static func clientCertificate(in dir: Workdir, password: String) throws -> (
        cert: String, key: String, encryptedKey: String
    ) {
        let out = try Tool.shell(
            """
            set -e
            cd "$0"
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=lt-send test client" 2>/dev/null
            printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n' > client-ext.cnf
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1 -extfile client-ext.cnf 2>/dev/null
            openssl pkey -in client.key -aes256 -passout "pass:$1" -out client-encrypted.key
            """, args: [dir.path, password])
        guard out.status == 0 else { throw TestFailure("openssl failed: \(out.stderr)") }
        return (dir.file("client.pem"), dir.file("client.key"), dir.file("client-encrypted.key"))
    }
}

extension ToolOutput {
    /// Results by input line number.
    func resultsByLine() throws -> [Int: [String: Any]] {
        var out: [Int: [String: Any]] = [:]
        for r in try records() { out[r["line"] as! Int] = r }
        return out
    }
}

extension Receiver {
    /// The requests whose path starts with `prefix`.
    func requests(under prefix: String) throws -> [[String: Any]] {
        try requests().filter { ($0["path"] as? String ?? "").hasPrefix(prefix) }
    }

    /// The `webhook-id` header of each request.
    func webhookIDs() throws -> [String] {
        try requests().compactMap { ($0["headers"] as? [String: Any])?["webhook-id"] as? String }
    }
}
