import Foundation

/// A built binary running in the background, input from a file and output to files, for tests
/// that signal it mid-run (SIGKILL, SIGTERM).
final class BackgroundTool {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ name: String, _ args: [String], stdinFile: String, in dir: Workdir) throws {
        let tag = UUID().uuidString
        stdoutPath = dir.file("\(name)-\(tag).out")
        stderrPath = dir.file("\(name)-\(tag).err")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Tool.path(name))
        process.arguments = args
        process.standardInput = FileHandle(forReadingAtPath: stdinFile)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// Waits for the end; the exit status, or 128 plus the signal that ended it.
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// Waits for a condition by checking it every 10 ms, up to `seconds` (a bound for a broken run, not a timing).
func awaitCondition(seconds: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw TestFailure("condition not met within \(seconds) s") }
        usleep(10_000)
    }
}
