import Foundation

/// A scratch folder shared by all of a suite's tests (a warehouse built once), removed when the
/// test process exits: Swift Testing has no hook that runs after a suite's last test.
enum SuiteFolder {
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var paths: [String] = []
    }

    private static let registry = Registry()

    /// A new folder named `prefix-UUID` under the temporary folder.
    static func make(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        registry.lock.withLock {
            if registry.paths.isEmpty { atexit { SuiteFolder.removeAll() } }
            registry.paths.append(path)
        }
        return path
    }

    private static func removeAll() {
        for path in registry.lock.withLock({ registry.paths }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
