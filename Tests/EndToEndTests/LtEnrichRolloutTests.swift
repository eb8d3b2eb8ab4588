import Foundation
import Testing

/// The runbook's "disable now": the rollout file is edited under a running lt-enrich fed through a
/// pipe that stays open, and the next lines follow the new setting without a restart.
@Suite struct LtEnrichRolloutTests {
    /// A running tool with its standard input kept open; output and stderr are read as they come.
    final class RunningTool {
        let process = Process()
        private let input = Pipe(), output = Pipe(), errors = Pipe()
        private var pendingOut: [UInt8] = []
        private(set) var stderr = ""

        init(_ tool: String, _ args: [String], env: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: Tool.path(tool))
            process.arguments = args
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT")
            environment.removeValue(forKey: "LT_ROLLOUT_FILE")
            for (k, v) in env { environment[k] = v }
            process.environment = environment
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            signal(SIGPIPE, SIG_IGN)
            try process.run()
        }

        deinit {
            try? input.fileHandleForWriting.close()
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        func send(_ line: String) throws {
            try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        }

        /// Waits for data on stdout or stderr for up to `milliseconds`; collects what came.
        private func pump(milliseconds: Int32) {
            var fds = [pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errors.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, milliseconds) > 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 65536)
            if fds[0].revents != 0 {
                let n = read(fds[0].fd, &buffer, buffer.count)
                if n > 0 { pendingOut.append(contentsOf: buffer[0..<n]) }
            }
            if fds[1].revents != 0 {
                let n = read(fds[1].fd, &buffer, buffer.count)
                if n > 0 { stderr += String(decoding: buffer[0..<n], as: UTF8.self) }
            }
        }

        /// The next output line, waiting up to 10 s for it.
        func nextLine() throws -> String {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let nl = pendingOut.firstIndex(of: 0x0A) {
                    let line = String(decoding: pendingOut[..<nl], as: UTF8.self)
                    pendingOut.removeSubrange(...nl)
                    return line
                }
                pump(milliseconds: 100)
            }
            throw TestFailure("no output line within 10 s; stderr: \(stderr)")
        }

        /// Feeds `line` until its answer satisfies `condition` (the tool looks at the file at most every
        /// 200 ms, so a few lines may still follow the old setting); each wait is for an answer, not a pause.
        func sendUntil(_ line: String, within seconds: Double = 10, _ condition: (String) -> Bool) throws -> (answer: String, sent: Int) {
            let deadline = Date().addingTimeInterval(seconds)
            var sent = 0
            while Date() < deadline {
                try send(line)
                sent += 1
                let answer = try nextLine()
                if condition(answer) { return (answer, sent) }
                // Give the tool a moment before the next line, waiting on its stderr rather than sleeping.
                pump(milliseconds: 50)
            }
            throw TestFailure("condition not met within \(seconds) s; stderr: \(stderr)")
        }

        /// Waits up to 10 s for stderr to contain `text`.
        func awaitStderr(_ text: String) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while !stderr.contains(text) && Date() < deadline { pump(milliseconds: 100) }
            return stderr.contains(text)
        }
    }

    static let line = #"{"payload":{"completion":{},"enterprise":{"enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}},"lookup":{"status":"found","total_seconds":90,"last_updated":"2026-01-10T00:00:00Z"}}"#
    static func enriched(_ s: String) -> Bool { s.contains(#""enrichment":{"learning_time":true}"#) }
    static func flagOff(_ s: String) -> Bool { s.contains(#""reason":"flag_off""#) }

    func runbook(_ args: (String) -> [String], env: (String) -> [String: String]) throws {
        let dir = try Workdir()
        let path = dir.file("rollout.json")
        try dir.write("rollout.json", #"{"enabled": true}"#)
        let tool = try RunningTool("lt-enrich", args(path), env: env(path))

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
