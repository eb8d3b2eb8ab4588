import Testing

@testable import Shared

@Suite struct SecretSetTests {
    @Test func everyEncodingAPartnerMightEchoIsMasked() {
        let secrets = SecretSet()
        secrets.add("s3cr/et\"x é")  // split on the space: two secrets
        secrets.add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let echoed = [
            #"{"a": "s3cr/et\"x"}"#, #"{"a": "s3cr\/et\"x"}"#, "client_secret=s3cr%2Fet%22x", "s3cr%2fet%22x",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", #"\u00e9 is short"#, "é",
        ]
        for text in echoed {
            let masked = secrets.mask(outside: text).text
            #expect(!masked.contains("s3cr") && !masked.contains("MfKQ9r8") && !masked.contains("é"), "\(masked)")
            #expect(!masked.contains(#"\u00e9"#), "\(masked)")
        }
        // Lt's own messages keep words shorter than six characters.
        #expect(secrets.mask(own: "é and s3cr/et\"x") == "é and ***")
    }

    @Test func aSecretStraddlingTheCutLeavesNoPrefix() throws {
        let secrets = SecretSet()
        secrets.add("tok-0123456789abcdef")
        let body = Array((String(repeating: "a", count: 4090) + "tok-0123456789abcdef tail").utf8)
        let snippet = try #require(secrets.snippet(body)).text
        #expect(snippet.hasSuffix("a*** ta") && !snippet.contains("tok-"), "\(snippet.suffix(20))")
        #expect(snippet.utf8.count <= 4096)
    }

    @Test func aSnippetIsAtMost4KiBOfValidUTF8() throws {
        let secrets = SecretSet()
        let text = try #require(secrets.snippet(Array(String(repeating: "é", count: 3000).utf8))).text
        #expect(text.utf8.count <= 4096 && text.utf8.count >= 4094)
        #expect(!text.contains("\u{FFFD}"))
        #expect(secrets.snippet([0x61, 0xFF, 0x62])?.text == "a\u{FFFD}b")
        #expect(secrets.snippet([]) == nil)
    }

    @Test func onlyTheLatestAccessTokensAreKept() {
        let secrets = SecretSet()
        for i in 0..<(SecretSet.tokensKept + 4) { secrets.addToken("token-number-\(i)") }
        #expect(secrets.mask(outside: "token-number-3").text == "token-number-3")
        #expect(secrets.mask(outside: "token-number-\(SecretSet.tokensKept + 3)").text == "***")
    }
}
