import Testing

@testable import Shared

@Suite struct HTTPURLTests {
    @Test func parsesWithLibcurlAndLeavesTheQueryOutOfPrintedForms() throws {
        let u = try HTTPURL("https://partner.example:8443/hooks/a?token=s3cr3t", what: "--url", allowHTTP: false)
        #expect(u.scheme == "https" && u.host == "partner.example" && u.port == 8443 && u.hasQuery)
        #expect(u.redacted == "https://partner.example:8443/hooks/a")
        #expect(!u.description.contains("s3cr3t"))
        #expect(try HTTPURL("https://partner.example/x", what: "--url", allowHTTP: false).port == 443)
    }

    @Test func refusesUserinfoPlainHttpOtherSchemesAndWhatLibcurlCannotParse() throws {
        for (text, words) in [
            ("https://user:pass@partner.example/x", "auth"), ("http://partner.example/x", "--allow-http"),
            ("ftp://partner.example/x", "https"), ("https://exa mple.com/x", "URL"),
        ] {
            do {
                _ = try HTTPURL(text, what: "--url", allowHTTP: false)
                Issue.record("\(text) was accepted")
            } catch let e as ConfigError {
                #expect(e.kind == .configuration)
                #expect(e.description.contains(words), "\(e.description)")
                #expect(!e.description.contains("pass@"), "\(e.description)")
            }
        }
        #expect(try HTTPURL("http://127.0.0.1:9/x", what: "--url", allowHTTP: true).port == 9)
    }

    @Test func theOriginFillsInTheDefaultPortSoOneHostHasOneKey() throws {
        func origin(_ text: String) throws -> String { try HTTPURL(text, what: "--url", allowHTTP: true).origin }
        let a = try origin("https://partner.example/hooks/a")
        #expect(a == "https://partner.example:443")
        for same in ["https://partner.example:443/b", "HTTPS://Partner.Example/c?q=1", "https://partner.example:0443/"]
        {
            #expect(try origin(same) == a, "\(same)")
        }
        #expect(try origin("http://partner.example/x") == "http://partner.example:80")
        #expect(try origin("http://partner.example:80/x") == "http://partner.example:80")
        for other in ["https://partner.example:8443/", "http://partner.example:443/", "https://other.example/"] {
            #expect(try origin(other) != a, "\(other)")
        }
    }

    @Test func plainHttpIsJudgedOnceTheRunKnowsWhetherItIsAllowed() throws {
        // Read from a file before --allow-http is known: parsed, then judged.
        let u = try HTTPURL("http://partner.example/x?token=s3cr3t", what: "--url", allowHTTP: true)
        try u.requireHTTPS(what: "integration a's url", allowHTTP: true)
        #expect(throws: ConfigError.self) { try u.requireHTTPS(what: "integration a's url", allowHTTP: false) }
        do { try u.requireHTTPS(what: "integration a's url", allowHTTP: false) } catch let e as ConfigError {
            #expect(e.description.contains("integration a's url") && !e.description.contains("s3cr3t"))
        }
    }

    @Test func caSettingsComeFromTheEnvironmentAsCurlReadsThem() {
        var s = TransportSettings()
        s.inheritCertificateAuthorities(from: [
            "CURL_CA_BUNDLE": "/a.pem", "SSL_CERT_FILE": "/b.pem", "SSL_CERT_DIR": "/certs",
        ])
        #expect(s.caCertPath == "/a.pem" && s.caCertDirectory == "/certs")
        var t = TransportSettings()
        t.inheritCertificateAuthorities(from: ["SSL_CERT_FILE": "/b.pem"])
        #expect(t.caCertPath == "/b.pem")
        var given = TransportSettings()
        given.caCertPath = "/given.pem"
        given.inheritCertificateAuthorities(from: ["CURL_CA_BUNDLE": "/a.pem"])
        #expect(given.caCertPath == "/given.pem")
    }
}
