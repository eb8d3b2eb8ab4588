import Foundation
import Testing

/// The runbook's "disable now": the rollout file is edited under a running lt-enrich fed through a
/// pipe that stays open, and the next lines follow the new setting without a restart.
@Suite struct LtEnrichRolloutTests {
    static let line =
        #"{"payload":{"completion":{},"enterprise":{"enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}},"lookup":{"status":"found","total_seconds":90,"last_updated":"2026-01-10T00:00:00Z"}}"#
    static func enriched(_ s: String) -> Bool { s.contains(#""enrichment":{"learning_time":true,"#) }
    static func flagOff(_ s: String) -> Bool { s.contains(#""reason":"flag_off""#) }

    func runbook(_ args: (String) -> [String], env: (String) -> [String: String]) throws {
        let dir = try Workdir()
        let path = dir.file("rollout.json")
        try dir.write("rollout.json", #"{"enabled": true}"#)
        let tool = try Interactive("lt-enrich", args(path), env: env(path))

        try tool.send(Self.line)
        #expect(Self.enriched(try tool.nextLine()))

        // Disable now: atomically replaced, as an editor or `mv` does.
        try dir.write("rollout.json", #"{"enabled": false}"#)
        let off = try tool.sendUntil(Self.line, { Self.flagOff($0) })
        #expect(off.answer.contains(#""learning_time":{"#) == false, "payload untouched when off")
        #expect(tool.awaitStderr("enrichment is now off"))
        // Every later line stays off.
        try tool.send(Self.line)
        #expect(Self.flagOff(try tool.nextLine()))

        // A broken file keeps the last good setting (off), with a warning.
        try #"{"enabled": tr"#.write(toFile: path, atomically: false, encoding: .utf8)
        _ = try tool.sendUntil(Self.line) { _ in tool.stderr.contains("not valid JSON") }
        #expect(tool.stderr.contains("keeping the last good setting (off for every line)"))
        try tool.send(Self.line)
        #expect(Self.flagOff(try tool.nextLine()))

        // On again, for this enterprise only, edited in place.
        try #"{"enabled": true, "percent": 0, "enterprises_in": ["A1B2C3D4-E5F6-7890-ABCD-EF1234567890"]}"#
            .write(toFile: path, atomically: false, encoding: .utf8)
        let on = try tool.sendUntil(Self.line, { Self.enriched($0) })
        #expect(on.answer.contains(#""learning_time":{"total_seconds":90,"total_hours":0.03"#))
        #expect(tool.awaitStderr("changed: enrichment is now on for 0% of enterprises, 1 enterprise always in"))

        // The file disappears: still on, with a warning.
        try FileManager.default.removeItem(atPath: path)
        _ = try tool.sendUntil(Self.line) { _ in tool.stderr.contains("is missing") }
        try tool.send(Self.line)
        #expect(Self.enriched(try tool.nextLine()))
    }

    @Test func flippingTheRolloutFileTakesEffectWithoutARestart() throws {
        try runbook({ ["--rollout", $0] }, env: { _ in [:] })
    }

    @Test func theRolloutFileFromTheEnvironmentIsWatchedToo() throws {
        try runbook({ _ in [] }, env: { ["LT_ROLLOUT_FILE": $0, "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT": "false"] })
    }
}
