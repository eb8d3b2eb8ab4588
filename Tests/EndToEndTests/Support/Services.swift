import Foundation
import Testing

/// Services the test command starts (scripts/test.sh). Under that command a missing service is a
/// test failure; under a plain `swift test` the tests that need it record why they did not run.
enum Services {
    static var required: Bool { ProcessInfo.processInfo.environment["LT_TEST_REQUIRE_SERVICES"] == "1" }

    /// libpq conninfo of the throwaway PostgreSQL server, from `LT_TEST_POSTGRES`.
    static func postgres() -> String? {
        setting("LT_TEST_POSTGRES", skipped: "needs PostgreSQL; run scripts/test.sh, which starts one")
    }

    /// The environment variable `name`, or nil with a test failure (when services are required)
    /// or a note that the test did not run.
    static func setting(_ name: String, skipped: String) -> String? {
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return value }
        if required {
            Issue.record("\(name) is not set although the test command requires services")
        } else {
            print("skipped: \(skipped)")
        }
        return nil
    }
}

extension Services {
    /// The Python of the virtual environment holding snowduck and PyJWT, from `LT_TEST_SNOWFLAKE_PYTHON`.
    static func snowflakePython() -> String? {
        setting("LT_TEST_SNOWFLAKE_PYTHON", skipped: "needs the snowduck virtual environment; run scripts/test.sh, which makes one")
    }
}

/// The recording HTTP receiver (scripts/receiver.py) on 127.0.0.1, stopped when released.
/// `arguments` pass on its further options (`--tls-cert`, `--client-id`, `--token-ttl`, ...).
final class Receiver {
    let process = Process()
    let port: Int
    let recordPath: String
    let scheme: String

    init(in dir: Workdir, mode: String = "ok", status: Int = 200, arguments: [String] = []) throws {
        scheme = arguments.contains("--tls-cert") ? "https" : "http"
        let portFile = dir.file("receiver-\(UUID().uuidString).port")
        recordPath = dir.file("receiver-\(UUID().uuidString).ndjson")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Tool.packageRoot + "/scripts/receiver.py", "--port-file", portFile,
                             "--record", recordPath, "--mode", mode, "--status", String(status)] + arguments
        try process.run()
        // Wait for the port file, which the receiver writes only once it is listening.
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: portFile) {
            guard process.isRunning, Date() < deadline else { throw TestFailure("receiver did not start") }
            usleep(10_000)
        }
        port = Int(try String(contentsOfFile: portFile, encoding: .utf8))!
    }

    deinit {
        // SIGKILL, since a child may inherit a signal mask that blocks SIGTERM from the test runner.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func url(_ path: String = "/hook") -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    /// Requests received so far, in order.
    func requests() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: recordPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}
