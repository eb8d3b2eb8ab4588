import Foundation
import Testing

/// Services the test command starts (scripts/test.sh). A test that needs one declares it with
/// `.enabled(if: Services.hasPostgres)`: it is skipped, and reported as skipped, under a plain
/// `swift test` without the service; under the test command (`LT_TEST_REQUIRE_SERVICES=1`) it
/// always runs, so a missing service is a failure, never a silent pass.
enum Services {
    static var required: Bool { ProcessInfo.processInfo.environment["LT_TEST_REQUIRE_SERVICES"] == "1" }

    static var hasPostgres: Bool { isAvailable("LT_TEST_POSTGRES") }
    static var hasSnowflake: Bool { isAvailable("LT_TEST_SNOWFLAKE_PYTHON") }

    /// libpq conninfo of the throwaway PostgreSQL server, from `LT_TEST_POSTGRES`.
    static func postgres() throws -> String { try setting("LT_TEST_POSTGRES") }

    /// The Python of the virtual environment holding snowduck and PyJWT, from `LT_TEST_SNOWFLAKE_PYTHON`.
    static func snowflakePython() throws -> String { try setting("LT_TEST_SNOWFLAKE_PYTHON") }

    /// True when the service's variable is set, and always when the test command requires services.
    static func isAvailable(_ name: String) -> Bool {
        required || !(ProcessInfo.processInfo.environment[name] ?? "").isEmpty
    }

    /// The environment variable `name`; a test failure when it is missing.
    static func setting(_ name: String) throws -> String {
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return value }
        throw TestFailure("\(name) is not set although the test command requires services; run scripts/test.sh")
    }
}

extension Services {
    static let postgresNote: Comment = "needs PostgreSQL (LT_TEST_POSTGRES); run scripts/test.sh, which starts one"
    static let snowflakeNote: Comment =
        "needs the snowduck virtual environment (LT_TEST_SNOWFLAKE_PYTHON); run scripts/test.sh"
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
        process.arguments =
            [
                "python3", Tool.packageRoot + "/scripts/receiver.py", "--port-file", portFile,
                "--record", recordPath, "--mode", mode, "--status", String(status),
            ] + arguments
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
