import Foundation

/// A tool kept running with its standard input open, fed one line at a time; each answer is
/// awaited before the next line goes in. A watchdog kills a tool that stops answering, so a
/// broken tool fails the test instead of hanging it.
final class Interactive {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var pending = Data()
    private let errBox = DataBox()
    private let errDone = DispatchGroup()

    init(_ tool: String, _ args: [String], env: [String: String] = [:], timeout: Double = 120) throws {
        process.executableURL = URL(fileURLWithPath: Tool.path(tool))
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT")
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        let errors = errors, box = errBox
        DispatchQueue.global().async(group: errDone) { box.data = errors.fileHandleForReading.readDataToEndOfFile() }
        let p = process
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    }

    /// Writes `line` and returns the next output line, or nil if the tool ended.
    func ask(_ line: String) throws -> String? {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        return nextLine()
    }

    func nextLine() -> String? {
        while !pending.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
        let nl = pending.firstIndex(of: 0x0A)!
        let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
        pending = Data(pending[(nl + 1)...])
        return line
    }

    /// Closes the input and waits for the tool; returns its exit status and stderr.
    func finish() throws -> (Int32, String) {
        try input.fileHandleForWriting.close()
        _ = output.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errBox.data, as: UTF8.self))
    }
}

/// Where the reliability scenarios leave their figures (`LT_RELIABILITY_REPORT`), for docs/reliability.md.
enum ReliabilityReport {
    static func record(_ scenario: String, _ summary: String) {
        guard let path = ProcessInfo.processInfo.environment["LT_RELIABILITY_REPORT"], !path.isEmpty else { return }
        let line = "{\"scenario\":\"\(scenario)\",\"summary\":\(summary.trimmingCharacters(in: .whitespacesAndNewlines))}\n"
        if let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile()
            h.write(Data(line.utf8))
            h.closeFile()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(line.utf8))
        }
    }
}
