import Foundation

/// A tool kept running with its standard input open, fed one line at a time while its output and
/// stderr are read as they come. Every wait has a deadline, so a tool that stops answering fails
/// the test instead of hanging it; a tool still running when the test ends is killed.
final class Interactive {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var pendingOut: [UInt8] = []
    private var outputEnded = false
    private(set) var stderr = ""

    /// Starts `tool` (one of lt's, or an absolute path) with the test environment minus the
    /// enrichment flag and rollout file, plus `env`.
    init(_ tool: String, _ args: [String], env: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : Tool.path(tool))
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

    /// The tool's standard input, for a test that feeds it from another thread.
    var inputHandle: FileHandle { input.fileHandleForWriting }

    /// Collects what the tool wrote on stderr within 100 ms, leaving its output unread.
    func pumpStderr() {
        var p = pollfd(fd: errors.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 100) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(p.fd, &buffer, buffer.count)
        if n > 0 { stderr += String(decoding: buffer[0..<n], as: UTF8.self) }
    }

    /// Writes `line` and returns the tool's answer to it.
    func ask(_ line: String) throws -> String {
        try send(line)
        return try nextLine()
    }

    /// Waits for data on stdout or stderr for up to `milliseconds`; collects what came.
    private func pump(milliseconds: Int32) {
        var fds = [
            pollfd(
                fd: outputEnded ? -1 : output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: errors.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&fds, 2, milliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        if fds[0].revents != 0 {
            let n = read(fds[0].fd, &buffer, buffer.count)
            if n > 0 { pendingOut.append(contentsOf: buffer[0..<n]) } else { outputEnded = true }
        }
        if fds[1].revents != 0 {
            let n = read(fds[1].fd, &buffer, buffer.count)
            if n > 0 { stderr += String(decoding: buffer[0..<n], as: UTF8.self) }
        }
    }

    /// The next output line, waiting up to `seconds` for it; throws when the tool ended or stayed silent.
    func nextLine(within seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let nl = pendingOut.firstIndex(of: 0x0A) {
                let line = String(decoding: pendingOut[..<nl], as: UTF8.self)
                pendingOut.removeSubrange(...nl)
                return line
            }
            if outputEnded { throw TestFailure("the tool ended its output; stderr: \(stderr)") }
            pump(milliseconds: 100)
        }
        throw TestFailure("no output line within \(seconds) s; stderr: \(stderr)")
    }

    /// Feeds `line` until its answer satisfies `condition` (for settings the tool picks up within
    /// a moment, so a few lines may still follow the old one); between tries it waits on stderr.
    func sendUntil(_ line: String, within seconds: Double = 10, _ condition: (String) -> Bool) throws -> (
        answer: String, sent: Int
    ) {
        let deadline = Date().addingTimeInterval(seconds)
        var sent = 0
        while Date() < deadline {
            sent += 1
            let answer = try ask(line)
            if condition(answer) { return (answer, sent) }
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

    /// Closes the input and waits for the tool; returns its exit status and all of its stderr.
    func finish() throws -> (Int32, String) {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            pump(milliseconds: 100)
            if outputEnded && !process.isRunning { break }
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        stderr += String(decoding: rest, as: UTF8.self)
        return (process.terminationStatus, stderr)
    }
}

/// Where the reliability scenarios leave their figures (`LT_RELIABILITY_REPORT`), for docs/reliability.md.
enum ReliabilityReport {
    static func record(_ scenario: String, _ summary: String) {
        guard let path = ProcessInfo.processInfo.environment["LT_RELIABILITY_REPORT"], !path.isEmpty else { return }
        let line =
            "{\"scenario\":\"\(scenario)\",\"summary\":\(summary.trimmingCharacters(in: .whitespacesAndNewlines))}\n"
        if let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile()
            h.write(Data(line.utf8))
            h.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: Data(line.utf8))
        }
    }
}
