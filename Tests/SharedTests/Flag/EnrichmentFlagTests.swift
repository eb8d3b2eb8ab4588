import Foundation
import Testing

@testable import Shared

/// Which source decides: --flag, then --rollout, then $LT_ROLLOUT_FILE, then the environment variable, then off.
@Suite struct EnrichmentFlagTests {
    static let env = EnrichmentFlag.environmentVariable
    static let fileVar = EnrichmentFlag.rolloutFileVariable

    func rolloutFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "lt-flag-" + UUID().uuidString + ".json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func offByDefault() throws {
        let f = try EnrichmentFlag.resolve(option: nil, environment: [:])
        #expect(f.isOffForAll)
        #expect(!f.isEnabled(enterprise: "a1b2c3d4-e5f6-7890-abcd-ef1234567890", integration: "x"))
        #expect(f.origin.contains("default off"))
    }

    @Test func environmentVariableAlone() throws {
        #expect(
            try EnrichmentFlag.resolve(option: nil, environment: [Self.env: "true"]).isEnabled(
                enterprise: nil, integration: nil))
        #expect(try EnrichmentFlag.resolve(option: nil, environment: [Self.env: "0"]).isOffForAll)
        #expect(throws: ConfigError.self) { try EnrichmentFlag.resolve(option: nil, environment: [Self.env: "maybe"]) }
    }

    @Test func rolloutFileBeatsTheEnvironmentVariable() throws {
        let off = try rolloutFile(#"{"enabled": false}"#)
        defer { try? FileManager.default.removeItem(atPath: off) }
        let f = try EnrichmentFlag.resolve(option: nil, environment: [Self.env: "true", Self.fileVar: off])
        #expect(f.isOffForAll)
        #expect(f.origin.contains(off))
    }

    @Test func rolloutOptionBeatsTheRolloutVariable() throws {
        let on = try rolloutFile(#"{"enabled": true}"#)
        let off = try rolloutFile(#"{"enabled": false}"#)
        defer { try? FileManager.default.removeItem(atPath: on); try? FileManager.default.removeItem(atPath: off) }
        let f = try EnrichmentFlag.resolve(option: nil, rollout: on, environment: [Self.fileVar: off])
        #expect(f.isEnabled(enterprise: nil, integration: nil))
    }

    @Test func flagOptionBeatsEverythingAndIsNotCombinedWithRollout() throws {
        let on = try rolloutFile(#"{"enabled": true}"#)
        defer { try? FileManager.default.removeItem(atPath: on) }
        let f = try EnrichmentFlag.resolve(option: "off", environment: [Self.env: "true", Self.fileVar: on])
        #expect(f.isOffForAll)
        #expect(f.origin == "--flag off")
        // --flag wins even over a broken file in the environment: the file is not read.
        #expect(
            try EnrichmentFlag.resolve(option: "on", environment: [Self.fileVar: "/nonexistent/rollout.json"])
                .isEnabled(enterprise: nil, integration: nil))
        #expect(throws: ConfigError.self) { try EnrichmentFlag.resolve(option: "on", rollout: on, environment: [:]) }
        #expect(throws: ConfigError.self) { try EnrichmentFlag.resolve(option: "sometimes", environment: [:]) }
    }

    @Test func missingRolloutFileAtStartUpIsExitTwo() {
        do {
            _ = try EnrichmentFlag.resolve(option: nil, environment: [Self.fileVar: "/nonexistent/rollout.json"])
            Issue.record("no error")
        } catch let e as ConfigError {
            #expect(e.kind == .configuration)
        } catch { Issue.record("\(error)") }
    }

    @Test func perLineRulesComeFromTheFile() throws {
        let path = try rolloutFile(#"{"enabled": true, "percent": 0, "integrations_in": ["percipio"]}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let f = try EnrichmentFlag.resolve(option: nil, rollout: path, environment: [:])
        #expect(!f.isOffForAll)
        #expect(f.isEnabled(enterprise: nil, integration: "percipio"))
        #expect(!f.isEnabled(enterprise: nil, integration: "degreed"))
    }
}
