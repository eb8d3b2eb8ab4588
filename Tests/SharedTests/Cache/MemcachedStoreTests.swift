import Foundation
import Testing

@testable import Shared

/// The memcached store's keys, values and ring (pure logic), and its answers parsed from what a
/// server, or a hostile one, may send.
@Suite struct MemcachedStoreTests {
    let namespace = CacheNamespace(identity: "kind=sqlite database=/w.db")
    let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    @Test func plainKeysKeepTheSpecificationsFormAndOddOnesAreHashed() {
        let plain = LookupKey(userID: 12345, courseID: "course-v1:edX+DemoX+Demo_Course", enterpriseID: enterprise)
        #expect(
            MemcachedStore.key(plain, in: namespace)
                == "\(namespace.id):learning_time:12345:course-v1:edX+DemoX+Demo_Course:\(enterprise)")
        for course in [
            "course v1:spaces", "course-v1:Écolé", "course-v1:" + String(repeating: "x", count: 245),
            "course-v1:\u{7F}",
        ] {
            let key = MemcachedStore.key(
                LookupKey(userID: 1, courseID: course, enterpriseID: enterprise), in: namespace)
            #expect(key.hasPrefix("\(namespace.id):learning_time:sha256:"), "\(course)")
            #expect(key.utf8.count == 16 + 22 + 64)
            #expect(key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
        }
        // Namespaces keep warehouses apart, hashed or not.
        let other = CacheNamespace(identity: "kind=sqlite database=/other.db")
        #expect(MemcachedStore.key(plain, in: other) != MemcachedStore.key(plain, in: namespace))
    }

    @Test func valuesRoundTripAndForeignOnesAreMisses() throws {
        let found = CachedLookup(
            totalSeconds: 18540, lastUpdated: "2026-01-10T00:00:00Z", storedAt: 1_764_806_400.25, expiresAt: 0,
            origin: .adHoc)
        let value = MemcachedStore.value(found)
        #expect(String(decoding: value, as: UTF8.self) == "lt1 found 18540 2026-01-10T00:00:00Z 1764806400250 ad-hoc")
        let back = try #require(MemcachedStore.entry(value[...], ttl: 60, now: 1000))
        #expect(back.totalSeconds == 18540 && back.origin == .adHoc && back.expiresAt == 1060)
        #expect(back.storedAt == 1_764_806_400.25)
        let none = CachedLookup(totalSeconds: nil, lastUpdated: "2026-01-10T00:00:00Z", expiresAt: 0)
        #expect(MemcachedStore.entry(MemcachedStore.value(none)[...], ttl: 5, now: 0)?.result.status == .notFound)
        for hostile in [
            "lt1 found -5 2026-01-10T00:00:00Z 1 run", "lt1 found +5 2026-01-10T00:00:00Z 1 run",
            "lt1 found 5 yesterday 1 run", "lt1 not_found 5 2026-01-10T00:00:00Z 1 run",
            "lt1 found 5 2026-01-10T00:00:00Z 1 someone", "lt2 found 5 2026-01-10T00:00:00Z 1 run", "18540",
            "lt1 found 99999999999999999999 2026-01-10T00:00:00Z 1 run",
        ] {
            #expect(MemcachedStore.entry(Array(hostile.utf8)[...], ttl: 60, now: 0) == nil, "\(hostile)")
        }
    }

    @Test func answersAreMatchedByIndexAndBrokenOnesThrow() throws {
        let v = "lt1 found 7 2026-01-10T00:00:00Z 1 run"
        var results = [CachedLookup?](repeating: nil, count: 3)
        try MemcachedStore.parseGets(Array("VA \(v.utf8.count) t30 O2\r\n\(v)\r\nMN\r\n".utf8), into: &results, now: 0)
        #expect(results[0] == nil && results[1] == nil && results[2]?.totalSeconds == 7 && results[2]?.expiresAt == 30)
        for broken in [
            "VA 99 O1\r\n\(v)\r\nMN\r\n",  // size beyond the data
            "VA \(v.utf8.count) O9\r\n\(v)\r\nMN\r\n",  // index not asked
            "SERVER_ERROR out of memory\r\nMN\r\n", "VA 2000 O1\r\n",
        ] {
            var r = [CachedLookup?](repeating: nil, count: 3)
            #expect(throws: MemcachedError.self, "\(broken)") {
                try MemcachedStore.parseGets(Array(broken.utf8), into: &r, now: 0)
            }
        }
    }

    @Test func theRingIsStableAndSpreadsKeys() {
        let three = KetamaRing(servers: ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"])
        let keys = (0..<3000).map { "ns:learning_time:\($0):course-v1:x:\(enterprise)" }
        let owners = keys.map { three.server(for: $0) }
        let counts = Dictionary(grouping: owners, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 3)
        #expect(counts.values.allSatisfy { $0 > 600 }, "\(counts)")
        // A fourth server takes keys only from the others; no key moves between the first three.
        let four = KetamaRing(servers: ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211", "10.0.0.4:11211"])
        let moved = zip(keys, owners).filter { four.server(for: $0.0) != $0.1 }
        #expect(moved.allSatisfy { four.server(for: $0.0) == 3 })
        #expect(moved.count > 300 && moved.count < 1300, "\(moved.count)")
    }

    @Test func serverAddressesAreParsedStrictly() throws {
        #expect(
            try CacheAddress.parse("memcached://127.0.0.1:11211,[::1]:11212,cache.internal:1")
                == .memcached(servers: [
                    try MemcachedServerAddress("127.0.0.1:11211"), try MemcachedServerAddress("[::1]:11212"),
                    try MemcachedServerAddress("cache.internal:1"),
                ]))
        #expect(try CacheAddress.parse("file:/tmp/x") == .file(directory: "/tmp/x"))
        #expect(try CacheAddress.parse("/tmp/x") == .file(directory: "/tmp/x"))
        for bad in [
            "memcached://", "memcached://host", "memcached://host:0", "memcached://host:99999", "memcached://a b:1",
            "memcached://h:1,", "redis://h:1", "file:",
        ] {
            #expect(throws: ConfigError.self, "\(bad)") { try CacheAddress.parse(bad) }
        }
    }
}
