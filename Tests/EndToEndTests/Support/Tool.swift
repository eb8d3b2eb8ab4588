import Foundation
import Testing

/// What a finished tool run left behind.
struct ToolOutput {
    var stdout: String
    var stderr: String
    var status: Int32

    /// Standard output split into lines (without the final empty one).
    var lines: [String] {
        guard !stdout.isEmpty else { return [] }
        return stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0)
            .map(String.init)
    }

    /// Each stdout line parsed as a JSON object.
    func records() throws -> [[String: Any]] {
        try lines.map { line in
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            guard let dict = obj as? [String: Any] else { throw TestFailure("not an object: \(line)") }
            return dict
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs the built binaries and shell pipelines of them.
enum Tool {
    /// The folder holding lt-query, lt-enrich and lt-send: `$LT_BIN_DIR`, else the folder of the
    /// running test binary, else the package's `.build/debug`.
    static let binDir: String = {
        if let d = ProcessInfo.processInfo.environment["LT_BIN_DIR"], !d.isEmpty { return d }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = (exe as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: dir + "/lt-query") { return dir }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return packageRoot + "/.build/debug"
    }()

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.path + "/Package.swift") { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    static func path(_ name: String) -> String { binDir + "/" + name }

    /// Runs one binary with `stdin` as its input.
    static func run(
        _ name: String, _ args: [String], stdin: String = "", env: [String: String] = [:], cwd: String? = nil
    ) throws -> ToolOutput {
        try shell("\"$0\" \"$@\"", args: [path(name)] + args, stdin: stdin, env: env, cwd: cwd)
    }

    /// Runs a bash script (a pipeline) with the binaries' folder first on PATH.
    static func shell(
        _ script: String, args: [String] = [], stdin: String = "", env: [String: String] = [:], cwd: String? = nil
    ) throws -> ToolOutput {
        // A child that exits before reading all of its input must not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script] + args
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binDir + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment.removeValue(forKey: "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT")
        environment.removeValue(forKey: "LT_WAREHOUSE")
        environment.removeValue(forKey: "LT_ROLLOUT_FILE")
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let inPipe = Pipe()
        let outPipe = Pipe()
        let errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        // Write stdin and read stderr on other threads so that no pipe fills up and blocks the child.
        let group = DispatchGroup()
        let errBox = DataBox()
        DispatchQueue.global().async(group: group) { errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) {
            try? inPipe.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let errData = errBox.data
        return ToolOutput(
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
            status: p.terminationStatus)
    }
}

final class DataBox: @unchecked Sendable { var data = Data() }

/// A scratch folder per test, removed at the end.
final class Workdir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "lt-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? "" }

    /// A SQLite warehouse made by the sqlite3 command from SQL text.
    func sqliteWarehouse(_ sql: String, name: String = "warehouse.db") throws -> String {
        try write(name + ".sql", sql)
        let out = try Tool.shell("sqlite3 \"$0\" < \"$1\"", args: [file(name), file(name + ".sql")])
        guard out.status == 0 else { throw TestFailure("sqlite3 failed: \(out.stderr)") }
        return file(name)
    }
}
