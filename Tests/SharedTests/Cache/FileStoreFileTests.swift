import Foundation
import Testing

@testable import Shared

/// The cache writes only files it made: never through a symbolic link, a hard link or into
/// another program's database. Real SQLite files in a scratch folder.
@Suite struct FileStoreFileTests {
    let key = LookupKey(userID: 1, courseID: "course-v1:x", enterpriseID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890")

    func folder() throws -> String {
        let d = NSTemporaryDirectory() + "lt-cache-file-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func diagnostics(_ dir: String) -> (Diagnostics, String) {
        let log = dir + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        return (Diagnostics(tool: "lt-query", fd: open(log, O_WRONLY | O_APPEND)), log)
    }

    /// Opens a cache in `dir`, tries to store a value, and returns whether it was enabled and what it said.
    func use(_ dir: String) -> (Bool, String) {
        let (diag, log) = diagnostics(dir)
        defer { unlink(log) }
        let cache = StoreGate(
            FileStore(directory: dir, diagnostics: diag), namespace: CacheNamespace(identity: "test"),
            diagnostics: diag)
        cache.put([(key, 5)], lastUpdated: "2026-01-01T00:00:00Z", now: 0)
        cache.flush()
        return (cache.isUsable, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test(arguments: ["", "-wal", "-shm"])
    func aSymbolicLinkIsNeverWrittenThrough(suffix: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if !suffix.isEmpty { _ = use(dir) }  // a real cache first, then one of its files made a link
        let victim = dir + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        unlink(dir + "/lookups.sqlite" + suffix)
        #expect(symlink(victim, dir + "/lookups.sqlite" + suffix) == 0)
        let (enabled, said) = use(dir)
        #expect(!enabled)
        #expect(said.contains("symbolic link"), "\(said)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
    }

    @Test func aHardLinkedFileIsNeverWritten() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = use(dir)
        let other = dir + "/other-name"
        #expect(link(dir + "/lookups.sqlite", other) == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        let (enabled, said) = use(dir)
        #expect(!enabled)
        #expect(said.contains("hard links"), "\(said)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
    }

    @Test func anotherProgramsDatabaseIsNotWrittenBeforeItsSchemaIsChecked() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/lookups.sqlite"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, "CREATE TABLE notes (a); INSERT INTO notes VALUES ('mine');"]
        try p.run()
        p.waitUntilExit()
        // Hold the original file open: the cache removes its name and starts anew, and the
        // original's bytes must be as they were (still in rollback mode: no pragma wrote to it).
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 100)
        #expect(pread(fd, &header, 100, 0) == 100)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let (enabled, said) = use(dir)
        // Refused, never deleted: the cache goes on without a file.
        #expect(!enabled)
        #expect(said.contains("another program's SQLite database"), "\(said)")
        var after = [UInt8](repeating: 0, count: 100)
        #expect(pread(fd, &after, 100, 0) == 100)
        #expect(after == header)
        #expect(after[18] == 1 && after[19] == 1, "the foreign file was switched to WAL")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func theCacheFileAndItsWriteAheadLogAreOwnerOnly() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = FileStore(directory: dir, diagnostics: nil)
        let cache = StoreGate(store, namespace: CacheNamespace(identity: "test"), diagnostics: nil)
        cache.put([(key, 5)], lastUpdated: "2026-01-01T00:00:00Z", now: 0)
        cache.flush()
        for suffix in ["", "-wal", "-shm"] {
            var st = stat()
            #expect(stat(store.path + suffix, &st) == 0, "\(suffix) is missing")
            #expect(st.st_mode & 0o777 == 0o600, "\(suffix): \(String(st.st_mode & 0o777, radix: 8))")
        }
    }
}
