import Foundation
import Testing

@testable import Shared

/// The file cache on real SQLite files in a scratch folder, through the ``StoreGate`` every store is used by.
@Suite struct FileStoreTests {
    let key = LookupKey(
        userID: 12345, courseID: "course-v1:edX+DemoX+Demo_Course", enterpriseID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    )
    let other = LookupKey(userID: 9, courseID: "course-v1:x", enterpriseID: "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f")
    let day = "2026-01-10T00:00:00Z"

    func folder() -> String {
        let d = NSTemporaryDirectory() + "lt-cache-test-" + UUID().uuidString
        return d
    }

    static let namespace = CacheNamespace(identity: "kind=sqlite database=/w.db")

    func gate(_ dir: String, ttl: Double = 3600, negativeTTL: Double = 3600, diagnostics: Diagnostics? = nil)
        -> StoreGate
    {
        StoreGate(
            FileStore(directory: dir, diagnostics: diagnostics), namespace: Self.namespace,
            expiry: ExpiryPolicy(ttl: ttl, negativeTTL: negativeTTL), diagnostics: diagnostics)
    }

    func diagnostics(_ dir: String) -> (Diagnostics, String) {
        let log = dir + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let fd = open(log, O_WRONLY | O_APPEND)
        return (Diagnostics(tool: "lt-query", fd: fd), log)
    }

    @Test func hitMissAndNegativeHit() {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = gate(dir)
        #expect(cache.isUsable)
        #expect(cache.get(key, now: 1000) == nil)
        cache.put([(key, 18540), (other, nil)], lastUpdated: day, now: 1000)
        cache.flush()
        let hit = cache.get(key, now: 1001)
        #expect(hit?.totalSeconds == 18540)
        #expect(hit?.lastUpdated == day)
        #expect(hit?.result == LookupResult(status: .found, totalSeconds: 18540, lastUpdated: day, source: .cache))
        let negative = cache.get(other, now: 1001)
        #expect(negative != nil)
        #expect(negative?.result.status == .notFound)
        // A second handle (another process would do the same) sees the same entries.
        #expect(gate(dir).get(key, now: 1001)?.totalSeconds == 18540)
        #expect(hit?.storedAt == 1000 && hit?.origin == .run)
        // Another warehouse's namespace holds nothing of this one's.
        let other = StoreGate(
            FileStore(directory: dir, diagnostics: nil), namespace: CacheNamespace(identity: "kind=sqlite database=/x"),
            diagnostics: nil)
        #expect(other.get(key, now: 1001) == nil)
    }

    @Test func entriesExpireWithJitterWithinBounds() {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = gate(dir, ttl: 100, negativeTTL: 10)
        let keys = (1...200).map { LookupKey(userID: Int64($0), courseID: "c", enterpriseID: key.enterpriseID) }
        cache.put(keys.map { ($0, 1) } + [(other, nil)], lastUpdated: day, now: 0)
        cache.flush()
        let expiries = keys.compactMap { cache.entry($0)?.expiresAt }
        #expect(expiries.count == 200)
        #expect(expiries.allSatisfy { $0 > 94.9 && $0 <= 100 })
        #expect(Set(expiries).count > 100, "expiry is not jittered")
        #expect(cache.get(keys[0], now: 101) == nil)
        #expect(cache.get(other, now: 5) != nil)
        #expect(cache.get(other, now: 10.1) == nil)
    }

    @Test(arguments: ["garbage", "truncated", "foreign"])
    func damagedFileIsAMissAndIsRepaired(damage: String) throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path: String
        do {
            let store = FileStore(directory: dir, diagnostics: nil)
            let cache = StoreGate(store, namespace: Self.namespace, diagnostics: nil)
            let many = (1...3000).map {
                (LookupKey(userID: Int64($0), courseID: "course-v1:\($0)", enterpriseID: key.enterpriseID), Int64?($0))
            }
            cache.put([(key, 5)] + many, lastUpdated: day, now: 0)
            cache.flush()
            path = store.path
        }
        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
        switch damage {
        case "garbage":
            try Data(repeating: 0x41, count: 10_000).write(to: URL(fileURLWithPath: path))
        case "truncated":
            // Only the first page (the schema) is left: the table's pages are gone.
            #expect(truncate(path, 4096) == 0)
        default:
            unlink(path)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [path, "CREATE TABLE lookups (a, b); INSERT INTO lookups VALUES (1, 2);"]
            try p.run()
            p.waitUntilExit()
        }
        let (diag, log) = diagnostics(dir)
        let cache = gate(dir, diagnostics: diag)
        #expect(cache.get(key, now: 1) == nil)
        cache.put([(key, 7)], lastUpdated: day, now: 1)
        cache.flush()
        #expect(cache.get(key, now: 2)?.totalSeconds == 7, "the cache was not repaired after \(damage)")
        #expect(cache.isUsable)
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(said.contains("warning"), "no warning for \(damage)")
        #expect(said.split(separator: "\n").count <= 1)
        unlink(log)
    }

    @Test func unusableFolderWarnsOnceAndGoesOnUncached() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir); unlink(dir + ".log") }
        // A regular file where the folder should be: nothing can be created under it, even as root.
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir))
        let (diag, log) = diagnostics(dir + "-d")
        defer { unlink(log) }
        let cache = gate(dir + "/lt", diagnostics: diag)
        #expect(cache.get(key, now: 0) == nil)
        #expect(!cache.isUsable)
        cache.put([(key, 1)], lastUpdated: day, now: 0)
        cache.flush()
        #expect(cache.get(key, now: 0) == nil)
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(said.split(separator: "\n").count == 1)
        #expect(said.contains("going on without the cache"))
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func statisticsAndPurge() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = FileStore(directory: dir, diagnostics: nil)
        let cache = StoreGate(
            store, namespace: Self.namespace, expiry: ExpiryPolicy(ttl: 100, negativeTTL: 10), diagnostics: nil)
        cache.put([(key, 3), (other, nil)], lastUpdated: day, now: 0)
        cache.flush()
        var s = try store.statistics(now: 50)
        #expect(s.entries == 2)
        #expect(s.negative == 1)
        #expect(s.expired == 1)
        #expect(s.fileBytes > 0)
        #expect(try store.purge(all: false, now: 50) == 1)
        #expect(cache.entry(other) == nil)
        #expect(cache.entry(key)?.totalSeconds == 3)
        #expect(try store.entries(of: key).map(\.0) == [Self.namespace])
        #expect(try store.purge(all: true, now: 50) == 1)
        s = try store.statistics(now: 50)
        #expect(s.entries == 0)
    }

    @Test func cacheKeysParseBackWithColonsInTheCourse() throws {
        let k = try CacheMaintenance.key(key.cacheKey)
        #expect(k == key)
        #expect(
            try CacheMaintenance.key("12345:course-v1:edX+DemoX+Demo_Course:a1b2c3d4-e5f6-7890-abcd-ef1234567890")
                == key)
        #expect(throws: (any Error).self) {
            try CacheMaintenance.key("learning_time:abc:c:a1b2c3d4-e5f6-7890-abcd-ef1234567890")
        }
        #expect(throws: (any Error).self) { try CacheMaintenance.key("learning_time:12") }
    }
}
