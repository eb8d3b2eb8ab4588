import Testing

@testable import Shared

/// Header values are built only by validation, and `-H` and the integrations file share one validator.
@Suite struct HeaderValueTests {
    @Test func controlCharactersAreRefusedAndTabIsKept() throws {
        for bad in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\u{0}b", "a\u{1B}[31mb", "a\u{7F}"] {
            #expect(throws: HeaderValue.Invalid.self) { try HeaderValue(bad) }
        }
        #expect(try HeaderValue("a\tb c").text == "a\tb c")
        #expect(HeaderValue("Bearer ", try HeaderValue("t0k")).text == "Bearer t0k")
    }

    @Test func headerNamesAreTokens() {
        for bad in ["", "X Y", "X:Y", "X\r\nY", "Ä"] {
            #expect(throws: ConfigError.self) { try HeaderName(bad) }
        }
    }

    @Test func oneReservedListForTheOptionAndTheFile() throws {
        // Expect was refused by the file and accepted by -H before: one list now.
        for name in ["Expect", "host", "Content-Length", "Transfer-Encoding", "Connection", "webhook-id"] {
            #expect(throws: ConfigError.self) { try HTTPHeader.user(name: name, value: "x", hasAuth: false) }
            let toml = """
                [integrations.p]
                url = "https://example.invalid/x"
                headers = { "\(name)" = "x" }
                """
            #expect(throws: ConfigError.self) { try IntegrationsConfig.parse(toml, source: "i.toml") }
        }
        #expect(throws: ConfigError.self) { try HTTPHeader.user(name: "Authorization", value: "x", hasAuth: true) }
        #expect(try HTTPHeader.user(name: "X-Partner-Id", value: "42", hasAuth: false).value.text == "42")
    }

    @Test func anAccessTokenWithALineBreakIsAFailedFetch() throws {
        let hostile = Array(#"{"access_token":"tok\r\nX-Injected: yes","expires_in":3600}"#.utf8)
        #expect(throws: DeliveryError.self) { try OAuthTokenSource.parse(hostile) }
        #expect(throws: DeliveryError.self) { try OAuthTokenSource.parse(Array(#"{"access_token":""}"#.utf8)) }
    }

    @Test func aPasswordInTheWarehouseAddressIsNamedWithoutBeingShown() {
        let w = WarehouseAddress.commandLinePasswordWarning("postgres://lt:hunter2@db.internal/lt")
        #expect(w?.contains("PGPASSWORD") == true && w?.contains("~/.pgpass") == true)
        #expect(w?.contains("hunter2") == false)
        #expect(
            WarehouseAddress.commandLinePasswordWarning("host=db dbname=lt password='a b'")?.contains("a b") == false)
        #expect(WarehouseAddress.commandLinePasswordWarning("postgres://lt@db.internal/lt") == nil)
    }
}
