import Foundation
import Testing

@testable import Shared

@Suite struct RolloutFileTests {
    /// A scratch file per test.
    final class Scratch {
        let dir = NSTemporaryDirectory() + "lt-rollout-" + UUID().uuidString
        var path: String { dir + "/rollout.json" }
        init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ text: String, atomically: Bool = false) throws {
            try text.write(toFile: path, atomically: atomically, encoding: .utf8)
        }
    }

    @Test func changesAreSeenAfterTheCheckIntervalOnly() throws {
        let f = try Scratch()
        try f.write(#"{"enabled": true}"#)
        let file = try RolloutFile(path: f.path, now: 100)
        #expect(file.rules.enabled)
        try f.write(#"{"enabled": false}"#)
        guard case .unchanged = file.refresh(now: 100.1) else { Issue.record("looked before the interval"); return }
        #expect(file.rules.enabled)
        guard case .reloaded(let previous) = file.refresh(now: 100.3) else { Issue.record("change not seen"); return }
        #expect(previous.enabled)
        #expect(!file.rules.enabled)
        guard case .unchanged = file.refresh(now: 101) else { Issue.record("reloaded an unchanged file"); return }
    }

    @Test func atomicReplacementIsSeen() throws {
        let f = try Scratch()
        try f.write(#"{"enabled": true, "percent": 10}"#)
        let file = try RolloutFile(path: f.path, now: 0)
        // Same size, new inode.
        try f.write(#"{"enabled": true, "percent": 20}"#, atomically: true)
        guard case .reloaded = file.refresh(now: 1) else { Issue.record("replacement not seen"); return }
        #expect(file.rules.percentHundredths == 2000)
    }

    @Test func invalidOrMissingFileKeepsTheLastGoodRules() throws {
        let f = try Scratch()
        try f.write(#"{"enabled": true, "percent": 50}"#)
        let file = try RolloutFile(path: f.path, now: 0)
        try f.write(#"{"enabled": tru"#)
        guard case .failed(let e) = file.refresh(now: 1) else { Issue.record("invalid file not reported"); return }
        #expect(e.message.contains("not valid JSON"))
        #expect(e.message.contains("keeping the last good setting (on for 50% of enterprises)"))
        #expect(file.rules.percentHundredths == 5000)
        // Reported once: the same broken file is not read again.
        guard case .unchanged = file.refresh(now: 2) else { Issue.record("same problem reported twice"); return }
        try FileManager.default.removeItem(atPath: f.path)
        guard case .failed(let gone) = file.refresh(now: 3) else { Issue.record("missing file not reported"); return }
        #expect(gone.message.contains("is missing"))
        #expect(file.rules.percentHundredths == 5000)
        guard case .unchanged = file.refresh(now: 4) else { Issue.record("missing file reported twice"); return }
        try f.write(#"{"enabled": false}"#)
        guard case .reloaded = file.refresh(now: 5) else { Issue.record("restored file not read"); return }
        #expect(!file.rules.enabled)
    }

    @Test func missingOrInvalidAtStartUpIsAConfigurationError() throws {
        let f = try Scratch()
        #expect(throws: ConfigError.self) { try RolloutFile(path: f.path) }
        do { _ = try RolloutFile(path: f.path) } catch let e as ConfigError {
            #expect(e.kind == .configuration)
            #expect(e.message.contains("does not exist"))
        }
        try f.write(#"{"enabled": true, "percent": 150}"#)
        #expect(throws: ConfigError.self) { try RolloutFile(path: f.path) }
    }
}
