import Foundation
import Testing

@testable import Shared

@Suite struct RolloutRulesTests {
    static let a = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    static let b = "0f0e0d0c-0b0a-0908-0706-050403020100"

    func parse(_ text: String) throws -> RolloutRules { try RolloutRules.parse(Array(text.utf8), file: "rollout.json") }

    func error(_ text: String) -> String {
        do { _ = try parse(text); return "" } catch { return "\(error)" }
    }

    @Test func fullFileIsRead() throws {
        let r = try parse(
            """
            {"enabled": true, "percent": 12.5, "enterprises_in": ["\(Self.a.uppercased())"], "enterprises_out": ["\(Self.b)"],
             "integrations_in": ["percipio"], "integrations_out": ["degreed", "cornerstone"]}
            """)
        #expect(r.enabled)
        #expect(r.percentHundredths == 1250)
        #expect(r.enterprisesIn == [Self.a])
        #expect(r.enterprisesOut == [Self.b])
        #expect(r.integrationsIn == ["percipio"])
        #expect(r.integrationsOut == ["degreed", "cornerstone"])
        #expect(r.uniform == .perLine)
    }

    @Test func enabledAloneMeansEveryLine() throws {
        #expect(try parse(#"{"enabled": true}"#).uniform == .allOn)
        #expect(try parse(#"{"enabled": false, "percent": 100}"#).uniform == .allOff)
        #expect(try parse(#"{"enabled": true, "percent": 0}"#).uniform == .allOff)
        #expect(try parse(#"{"enabled": true, "percent": 0, "integrations_in": ["x"]}"#).uniform == .perLine)
    }

    @Test func percentagesAreExactHundredths() throws {
        let cases: [(String, Int)] = [
            ("0", 0), ("100", 10000), ("100.00", 10000), ("12.5", 1250), ("0.01", 1),
            ("0.07", 7), ("33.330", 3333), ("99.99", 9999),
        ]
        for (text, want) in cases {
            #expect(try parse(#"{"enabled": true, "percent": \#(text)}"#).percentHundredths == want, "\(text)")
        }
    }

    @Test(arguments: [
        (#"{"enabled": true, "percent": 101}"#, "outside 0 to 100"),
        (#"{"enabled": true, "percent": -1}"#, "outside 0 to 100"),
        (#"{"enabled": true, "percent": 100.01}"#, "outside 0 to 100"),
        (#"{"enabled": true, "percent": 1e1}"#, "exponent"),
        (#"{"enabled": true, "percent": 12.345}"#, "more precise"),
        (#"{"enabled": true, "percent": "25"}"#, "must be a number"),
        (#"{"enabled": "yes"}"#, "must be true or false"),
        (#"{"percent": 10}"#, "has no \"enabled\""),
        (#"{"enabled": true, "precent": 10}"#, "is not a rollout setting"),
        (#"{"enabled": true, "enterprises_in": ["not-a-uuid"]}"#, "not an enterprise UUID"),
        (#"{"enabled": true, "integrations_out": "degreed"}"#, "must be an array"),
        (#"{"enabled": true, "integrations_out": [1]}"#, "only strings"),
        (#"{"enabled": true,}"#, "not valid JSON"),
        (#"[true]"#, "not an object"),
        ("", "not valid JSON"),
    ])
    func invalidFilesAreRejectedWithTheReason(text: String, reason: String) {
        let message = error(text)
        #expect(message.contains(reason), "\(text): \(message)")
        #expect(message.contains("rollout.json"))
    }

    @Test func outBeatsInAndInBeatsPercentage() {
        let r = RolloutRules(
            enabled: true, percentHundredths: 0, enterprisesIn: [Self.a], enterprisesOut: [Self.b],
            integrationsIn: ["percipio"], integrationsOut: ["degreed"])
        #expect(r.includes(enterprise: Self.a, integration: nil))
        #expect(r.includes(enterprise: Self.a.uppercased(), integration: "other"))
        #expect(
            !r.includes(enterprise: Self.a, integration: "degreed"), "an integration out wins over an enterprise in")
        #expect(
            !r.includes(enterprise: Self.b, integration: "percipio"), "an enterprise out wins over an integration in")
        #expect(r.includes(enterprise: nil, integration: "percipio"))
        #expect(!r.includes(enterprise: "11111111-2222-3333-4444-555555555555", integration: "other"), "0% of the rest")
        #expect(!r.includes(enterprise: nil, integration: nil))
        let off = RolloutRules(enabled: false, enterprisesIn: [Self.a])
        #expect(!off.includes(enterprise: Self.a, integration: nil), "enabled false turns off every line")
    }

    @Test func percentageFollowsTheBucket() {
        var inCount = 0
        for i in 0..<2000 {
            let uuid = String(format: "%08x-0000-4000-8000-%012x", i * 7919, i)
            let r = RolloutRules(enabled: true, percentHundredths: 2500)
            let bucket = RolloutRules.bucket(ofEnterprise: uuid)
            #expect(r.includes(enterprise: uuid, integration: nil) == (bucket < 2500))
            #expect(r.includes(enterprise: uuid.uppercased(), integration: nil) == (bucket < 2500))
            if bucket < 2500 { inCount += 1 }
        }
        // A fair hash puts about a quarter in; this bound fails only for a broken bucket.
        #expect((400...600).contains(inCount), "\(inCount) of 2000 in at 25%")
        #expect(RolloutRules(enabled: true, percentHundredths: 10000).includes(enterprise: nil, integration: nil))
        #expect(!RolloutRules(enabled: true, percentHundredths: 9999).includes(enterprise: nil, integration: nil))
    }

    /// The bucket as docs/rollout.md defines it, computed by another implementation (Python's hashlib).
    @Test func bucketMatchesTheDocumentedDefinition() throws {
        var uuids: [String] = [Self.a, Self.a.uppercased(), Self.b, "00000000-0000-0000-0000-000000000000"]
        for i in 0..<200 {
            let parts: [CVarArg] = [i * 104729, i, i % 4096, (i * 7) % 4096, i * 31337]
            uuids.append(String(format: "%08X-%04x-4%03x-a%03x-%012x", arguments: parts))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            """
            import hashlib, sys
            for line in sys.stdin.read().split():
                d = hashlib.sha256(line.lower().encode("utf-8")).digest()
                print(int.from_bytes(d[:8], "big") % 10000)
            """,
        ]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        try input.fileHandleForWriting.write(contentsOf: Data(uuids.joined(separator: "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let expected = String(decoding: data, as: UTF8.self).split(separator: "\n").map { Int($0) }
        try #require(expected.count == uuids.count)
        for (uuid, want) in zip(uuids, expected) {
            #expect(RolloutRules.bucket(ofEnterprise: uuid) == want, "\(uuid)")
        }
    }

    @Test func summarySaysWhatIsInForce() {
        #expect(RolloutRules(enabled: false).summary == "off for every line")
        #expect(
            RolloutRules(enabled: true, percentHundredths: 1250, integrationsOut: ["x"]).summary
                == "on for 12.5% of enterprises, 1 integration always out")
    }

    /// Issue 23, point 4: the rule that decided is named, in the order the rules apply.
    @Test func theDecidingRuleIsNamed() {
        let r = RolloutRules(
            enabled: true, percentHundredths: 0, enterprisesIn: [Self.a.uppercased()], enterprisesOut: [Self.b],
            integrationsIn: ["pilot"], integrationsOut: ["broken"])
        #expect(r.decide(enterprise: Self.a, integration: "broken") == (false, .integrationsOut))
        #expect(r.decide(enterprise: Self.b.uppercased(), integration: "pilot") == (false, .enterprisesOut))
        #expect(r.decide(enterprise: Self.a.uppercased(), integration: nil) == (true, .enterprisesIn))
        #expect(r.decide(enterprise: nil, integration: "pilot") == (true, .integrationsIn))
        #expect(r.decide(enterprise: nil, integration: nil) == (false, .percent))
        #expect(RolloutRules(enabled: false).decide(enterprise: Self.a, integration: nil) == (false, .enabled))
    }
}
