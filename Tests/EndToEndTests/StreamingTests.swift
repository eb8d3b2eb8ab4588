import Foundation
import Testing

/// A tool fed by a slow stream (`tail -F | lt-query | …`) must write each result as soon as its
/// line is handled, not when its output buffer fills.
@Suite struct StreamingTests {
    /// Starts `tool`, writes one line at a time into its still-open standard input and waits for
    /// the matching output line before writing the next. A watchdog kills the tool if an answer
    /// never comes, which fails the test instead of hanging it.
    func answersEachLineWhileInputStaysOpen(_ tool: String, _ args: [String], lines: [String]) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Tool.path(tool))
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT")
        p.environment = env
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        try p.run()
        let watchdog = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        defer { watchdog.cancel() }
        var answers: [String] = []
        var pending = Data()
        for line in lines {
            try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
            while !pending.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
            }
            guard let nl = pending.firstIndex(of: 0x0A) else { break }
            answers.append(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
            pending = Data(pending[(nl + 1)...])
        }
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return answers
    }

    @Test func lookupsAreWrittenWhileTheInputIsStillOpen() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let lines = [PipelineTests.completion, "not json", PipelineTests.completion]
        let answers = try answersEachLineWhileInputStaysOpen(
            "lt-query", ["--warehouse", "sqlite:\(db)", "--no-cache", "--flag", "on"], lines: lines)
        #expect(answers.count == 3)
        #expect(answers.first?.contains("\"status\":\"found\"") == true)
        #expect(answers.dropFirst().first?.contains("\"error\"") == true)
    }

    @Test func enrichmentIsWrittenWhileTheInputIsStillOpen() throws {
        let line =
            #"{"payload":{"completion":{}},"lookup":{"status":"found","total_seconds":90,"last_updated":"2026-01-10T00:00:00Z"}}"#
        let answers = try answersEachLineWhileInputStaysOpen("lt-enrich", ["--flag", "on"], lines: [line, line])
        #expect(answers.count == 2)
        #expect(answers.first?.contains(#""total_hours":0.03"#) == true)
    }

    @Test func deliveriesAreReportedWhileTheInputIsStillOpen() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let answers = try answersEachLineWhileInputStaysOpen(
            "lt-send", ["--url", receiver.url(), "--allow-http", "--allow-private"], lines: [#"{"a":1}"#, #"{"a":2}"#])
        #expect(answers.count == 2)
        #expect(answers.allSatisfy { $0.contains("\"delivered\"") })
    }
}
