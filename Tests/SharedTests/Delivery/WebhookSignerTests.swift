import Testing

@testable import Shared

@Suite struct WebhookSignerTests {
    /// The Standard Webhooks reference vector (as the official libraries test it).
    @Test func matchesTheStandardWebhooksVector() throws {
        let signer = try WebhookSigner(secrets: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let headers = signer.headers(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(
            headers.first { $0.name == "webhook-signature" }?.value.text
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(headers.first { $0.name == "webhook-timestamp" }?.value.text == "1614265330")
    }

    @Test func severalSecretsGiveSeveralSignatures() throws {
        let signer = try WebhookSigner(
            secrets: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=")
        let sig = signer.headers(id: "m", timestamp: 1, body: [])[2].value.text
        #expect(sig.split(separator: " ").count == 2)
        #expect(sig.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") })
    }

    @Test func refusesASecretThatIsNotBase64() {
        #expect(throws: ConfigError.self) { try WebhookSigner(secrets: "whsec_!!!") }
    }
}
