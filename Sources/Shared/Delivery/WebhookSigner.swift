import Crypto
import FoundationEssentials

/// Signs requests the Standard Webhooks way: `webhook-id`, `webhook-timestamp` and
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one signature per secret.
public struct WebhookSigner: Sendable {
    private let keys: [SymmetricKey]

    /// `secrets` holds one or more `whsec_<base64>` secrets separated by spaces (several during a rotation).
    public init(secrets: String) throws {
        var keys: [SymmetricKey] = []
        for part in secrets.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }) {
            let text = part.hasPrefix("whsec_") ? part.dropFirst(6) : part[...]
            guard let data = Data(base64Encoded: String(text)), !data.isEmpty else {
                throw ConfigError(
                    "a signing secret is not whsec_ followed by base64",
                    hint: "generate one with: echo whsec_$(head -c 32 /dev/urandom | base64)")
            }
            keys.append(SymmetricKey(data: data))
        }
        guard !keys.isEmpty else { throw ConfigError("the signing secret is empty") }
        self.keys = keys
    }

    /// The three headers for one attempt.
    public func headers(id: HeaderValue, timestamp: Int, body: [UInt8]) -> [HTTPHeader] {
        var message = Array("\(id.text).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let signatures = keys.map { key in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64EncodedString()
        }
        // Digits and base64: nothing a header could trip over.
        return [
            HTTPHeader("webhook-id", id), HTTPHeader("webhook-timestamp", HeaderValue(computed: String(timestamp))),
            HTTPHeader("webhook-signature", HeaderValue(computed: signatures.joined(separator: " "))),
        ]
    }
}
