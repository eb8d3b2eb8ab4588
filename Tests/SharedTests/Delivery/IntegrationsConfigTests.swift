import Testing

@testable import Shared

@Suite struct IntegrationsConfigTests {
    @Test func readsEndpointsAndRefusesInlineSecrets() throws {
        let config = try IntegrationsConfig.parse(
            """
            default = "a"
            [integrations.a]
            url = "https://a.example/hook"
            timeout = 10
            max_requests_per_minute = 120
            auth = { type = "oauth2", token_url = "https://a.example/token", client_id_env = "A_ID", client_secret_file = "/run/a" }
            signing = { secrets_env = "A_SIGNING" }
            """, source: "t.toml")
        let a = try #require(config.endpoints["a"])
        #expect(a.timeout == 10)
        #expect(a.maxRequestsPerMinute == 120)
        #expect(config.defaultIntegration == "a")
        #expect(throws: ConfigError.self) {
            try IntegrationsConfig.parse(
                "[integrations.b]\nurl = \"https://b\"\nauth = { type = \"bearer\", token = \"abc\" }", source: "t")
        }
        #expect(throws: ConfigError.self) {
            try IntegrationsConfig.parse("[integrations.b]\nurl = \"https://b\"\ntimeout = 1", source: "t")
        }
    }
}
