import CSQLite
import Foundation
import Testing

@testable import Shared

/// ``StateFile`` and ``SQLiteFileHeader`` on real files in a scratch folder.
@Suite struct StateFileTests {
    func folder() throws -> String {
        let d = NSTemporaryDirectory() + "lt-state-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }

    @Test func linksAreRefusedOnEveryRoad() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = dir + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(symlink(victim, dir + "/link") == 0)
        #expect(throws: ConfigError.self) { try StateFile.openForAppending(dir + "/link", what: "the file") }
        #expect(throws: ConfigError.self) { try StateFile.prepare(dir + "/link", what: "the file") }
        #expect(symlink(victim, dir + "/db-wal") == 0)
        #expect(throws: ConfigError.self) { try StateFile.prepare(dir + "/db", what: "the file", companions: ["-wal"]) }
        let bytes = Array("new".utf8)
        #expect(throws: IOError.self) {
            try bytes.withUnsafeBufferPointer { try StateFile.replace(dir + "/link", with: $0, mode: 0o644, what: "x") }
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
    }

    @Test func filesAreCreatedOwnerOnlyAndReplacedWhole() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = try StateFile.openForAppending(dir + "/log", what: "the file")
        close(fd)
        try StateFile.prepare(dir + "/db", what: "the file")
        #expect(Self.mode(dir + "/log") == 0o600 && Self.mode(dir + "/db") == 0o600)
        let bytes = Array("whole\n".utf8)
        try bytes.withUnsafeBufferPointer { try StateFile.replace(dir + "/m.prom", with: $0, mode: 0o644, what: "x") }
        #expect(try String(contentsOfFile: dir + "/m.prom", encoding: .utf8) == "whole\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["db", "log", "m.prom"])
    }

    @Test func theHeaderSaysWhoseDatabaseItIs() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(SQLiteFileHeader.read(dir + "/missing") == .absent)
        try Data("not a database at all, but long enough to be read as one".utf8).write(
            to: URL(fileURLWithPath: dir + "/text"))
        #expect(SQLiteFileHeader.read(dir + "/text") == .notSQLite)
        try Data(Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0xEE, count: 200)).write(
            to: URL(fileURLWithPath: dir + "/junk"))
        #expect(SQLiteFileHeader.read(dir + "/junk") == .damaged)
        let db = try SQLiteConnection(path: dir + "/mine", flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try db.execute("PRAGMA application_id = 1819568946; CREATE TABLE t (a)")
        #expect(SQLiteFileHeader.read(dir + "/mine") == .sqlite(applicationID: 1_819_568_946, hasSchema: true))
        let empty = try SQLiteConnection(path: dir + "/empty", flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try empty.execute("PRAGMA user_version = 3")
        #expect(SQLiteFileHeader.read(dir + "/empty") == .sqlite(applicationID: 0, hasSchema: false))
    }
}
