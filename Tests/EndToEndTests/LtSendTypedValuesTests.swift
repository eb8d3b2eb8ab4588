import Foundation
import Testing

/// Issue 24: values from outside reach the wire, the metrics and the logs only as checked types,
/// whatever road they took. Real receivers and token endpoints on 127.0.0.1, a real UDP socket.
@Suite struct LtSendTypedValuesTests {
    @Test func anAccessTokenWithCRLFIsAFailedFetchAndNeverSent() throws {
        let dir = try Workdir()
        try dir.write("secret", "client-s3cret")
        let receiver = try Receiver(in: dir, arguments: ["--token-value", "tok\r\nX-Injected: yes"])
        let out = try LtSendAuthTests.sendOAuth(dir, receiver, lines: 1, ["--retries", "0"])
        #expect(out.status == 1, "\(out.stderr)")
        let error = try out.records().first?["error"] as? String ?? ""
        #expect(error.contains("control character"), "\(error)")
        #expect(try receiver.requests(under: "/token").count == 1)
        #expect(try receiver.requests(under: "/auth").isEmpty)
    }

    @Test func theOptionAndTheFileRefuseTheSameHeaders() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let option = try Tool.run(
            "lt-send",
            ["--url", receiver.url("/ok/x"), "-H", "Expect: 100-continue", "--allow-http", "--allow-private"],
            stdin: SendFixtures.lines(1))
        #expect(option.status == 64, "\(option.stderr)")
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "\(receiver.url("/ok/x"))"
            headers = { Expect = "100-continue" }
            """)
        let file = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private"],
            stdin: SendFixtures.lines(1, integration: "p"))
        #expect(file.status == 2, "\(file.stderr)")
        #expect(file.stderr.contains("Expect"))
        #expect(try receiver.requests().isEmpty)
    }

    @Test func reservedTagKeysAreRefusedOnTheCommandLineAndInTheEnvironment() throws {
        let option = try Tool.run(
            "lt-send", ["--url", "http://127.0.0.1:9/x", "--metrics-tag", "status:ok"], stdin: "")
        #expect(option.status == 64, "\(option.stderr)")
        let env = try Tool.run(
            "lt-send", ["--url", "http://127.0.0.1:9/x"], stdin: "", env: ["DD_TAGS": "team:a,integration:forged"])
        #expect(env.status == 2, "\(env.stderr)")
        #expect(env.stderr.contains("integration, le, reason, status, tool"), "\(env.stderr)")
    }

    @Test func anIntegrationNameInjectsNoDatagramLineTagOrSample() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let udp = try UDPListener()
        let name = #"p,x:1|c#y\nforged.metric:1|c"#  // TOML and JSON escapes: a real newline in the name
        let config = try dir.write(
            "integrations.toml",
            """
            [integrations."\(name)"]
            url = "\(receiver.url("/ok/x"))"
            """)
        let prom = dir.file("lt-send.prom")
        let out = try Tool.run(
            "lt-send",
            ["--integrations", config, "--allow-http", "--allow-private", "--metrics-file", prom],
            stdin: SendFixtures.lines(2, integration: name),
            env: ["LT_METRICS": "statsd://127.0.0.1:\(udp.port)"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = udp.lines()
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.hasPrefix("forged") || $0.contains("|c#y") })
        for l in lines where l.contains("integration:") {
            #expect(l.contains("integration:p_x:1_c_y_forged.metric:1_c"), "\(l)")
        }
        let text = try String(contentsOfFile: prom, encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("forged") })
        #expect(text.contains(#"integration="p,x:1|c#y\nforged.metric:1|c""#))
    }
}
