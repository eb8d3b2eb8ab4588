import Foundation

/// A temporary folder for one in-process test, removed with everything in it when released
/// (journals, caches and their `-wal`, `-shm` and `.lock` companions included).
final class ScratchFolder {
    let path: String

    init(_ prefix: String = "lt-test") throws {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}
