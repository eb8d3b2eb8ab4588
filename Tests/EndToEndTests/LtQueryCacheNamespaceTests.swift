import Foundation
import Testing

/// The cache belongs to one warehouse; ad-hoc lookups read the warehouse and show the cache beside
/// it; processes starting together on a new cache folder share it. Real SQLite files and processes.
@Suite struct LtQueryCacheNamespaceTests {
    typealias F = LtQueryFixture
    static let course = "course-v1:edX+DemoX+Demo_Course"
    static let key = "learning_time:1:\(course):\(F.enterprise)"

    /// Two warehouses: user 1 has 123 s in the first and 77 s in the second.
    func warehouses(_ dir: Workdir) throws -> (String, String) {
        let a = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows), name: "a.db")
        let b = try dir.sqliteWarehouse(F.schema + F.inserts([(1, Self.course, F.enterprise, 77)]), name: "b.db")
        return (a, b)
    }

    @Test func anotherWarehouseIsNeverAnsweredFromTheFirstOnesEntries() throws {
        let dir = try Workdir()
        let (a, b) = try warehouses(dir)
        let input = F.completion(user: 1, course: Self.course) + "\n"
        let cache = ["--cache", "file:" + dir.file("cache"), "--flag", "on"]
        #expect(
            try F.lookups(try Tool.run("lt-query", ["--warehouse", "sqlite:" + a] + cache, stdin: input))[0][
                "total_seconds"] as? Int == 123)
        let other = try F.lookups(try Tool.run("lt-query", ["--warehouse", "sqlite:" + b] + cache, stdin: input))[0]
        #expect(other["total_seconds"] as? Int == 77)
        #expect(other["source"] as? String == "warehouse")
        // The same table under other column names is another namespace too.
        let renamed = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + a, "--seconds-column", "USER_ID"] + cache, stdin: input)
        #expect(try F.lookups(renamed)[0]["source"] as? String == "warehouse")

        // --cache-show with a warehouse: its entry, with namespace, stored-at, expires-in and origin.
        let shown = try Tool.run("lt-query", ["--warehouse", "sqlite:" + b, "--cache-show", Self.key] + cache)
        #expect(shown.status == 0, "\(shown.stderr)")
        let entry = try #require(try shown.records().first)
        #expect((entry["lookup"] as? [String: Any])?["total_seconds"] as? Int == 77)
        #expect((entry["namespace"] as? String)?.count == 16)
        #expect((entry["warehouse"] as? String)?.contains("kind=sqlite database=\(b)") == true)
        #expect((entry["warehouse"] as? String)?.contains(" columns=USER_ID,COURSE_KEY,") == true)
        #expect(entry["origin"] as? String == "run")
        #expect((entry["stored_at"] as? String)?.hasSuffix("Z") == true)
        #expect((entry["expires_in_seconds"] as? Int ?? 0) > 3000)
        // Without a warehouse: every warehouse's entry for the key.
        let every = try Tool.run("lt-query", ["--cache", "file:" + dir.file("cache"), "--cache-show", Self.key])
        let totals = try every.records().compactMap { ($0["lookup"] as? [String: Any])?["total_seconds"] as? Int }
        // 2: the renamed run summed USER_ID (1 + 1) as seconds.
        #expect(totals.sorted() == [2, 77, 123], "\(every.stdout)")
        #expect(Set(try every.records().compactMap { $0["namespace"] as? String }).count == totals.count)
    }

    @Test func anAdHocLookupReadsTheWarehouseAndShowsTheCacheBesideIt() throws {
        let dir = try Workdir()
        let (a, _) = try warehouses(dir)
        let args = [
            "--warehouse", "sqlite:" + a, "--cache", "file:" + dir.file("cache"), "--user", "1", "--course",
            Self.course, "--enterprise", F.enterprise,
        ]
        // Nothing cached, and nothing written.
        let first = try #require(try Tool.run("lt-query", args).records().first)
        #expect((first["lookup"] as? [String: Any])?["source"] as? String == "warehouse")
        #expect((first["cache"] as? [String: Any])?["cached"] as? Bool == false)
        #expect(first["difference"] as? String == "the cache holds nothing for this key")
        let second = try #require(try Tool.run("lt-query", args).records().first)
        #expect((second["cache"] as? [String: Any])?["cached"] as? Bool == false)
        // --cache-write stores it, as ad-hoc.
        #expect(try Tool.run("lt-query", args + ["--cache-write"]).status == 0)
        let agreed = try #require(try Tool.run("lt-query", args).records().first)
        let cached = try #require(agreed["cache"] as? [String: Any])
        #expect(cached["origin"] as? String == "ad-hoc")
        #expect(agreed["difference"] is NSNull)
        // The warehouse catches up: the lookup says so, and shows what the cache still holds.
        _ = try Tool.shell(
            "sqlite3 \"$0\" \"UPDATE LEARNING_TIME SET LEARNING_TIME_SECONDS = 200 WHERE USER_ID = 1\"", args: [a])
        let moved = try #require(try Tool.run("lt-query", args).records().first)
        #expect((moved["lookup"] as? [String: Any])?["total_seconds"] as? Int == 400)
        #expect(((moved["cache"] as? [String: Any])?["lookup"] as? [String: Any])?["total_seconds"] as? Int == 123)
        #expect(moved["difference"] as? String == "the warehouse has 400 s, the cache 123 s (+277 s)")
        #expect(try Tool.run("lt-query", args + ["--no-cache", "--cache-write"]).status == 64)
    }

    /// The same on the test command's PostgreSQL server: its entries are a namespace of their own
    /// beside a SQLite warehouse's for the same key, and an ad-hoc lookup reads PostgreSQL and shows
    /// the cache's older total beside the new one.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aPostgresWarehouseHasItsOwnEntriesAndAdHocLookupsReadIt() throws {
        let pg = try Services.postgres()
        let dir = try Workdir()
        let (a, _) = try warehouses(dir)
        let schema = try LtQueryPostgresTests.Schema(pg, rows: [(1, Self.course, F.enterprise, 77)])
        let input = F.completion(user: 1, course: Self.course) + "\n"
        let cache = ["--cache", "file:" + dir.file("cache"), "--flag", "on"]
        let postgres = ["--warehouse", pg, "--table", schema.table] + cache
        let sqlite = try F.lookups(try Tool.run("lt-query", ["--warehouse", "sqlite:" + a] + cache, stdin: input))[0]
        #expect(sqlite["total_seconds"] as? Int == 123)
        let first = try F.lookups(try Tool.run("lt-query", postgres, stdin: input))[0]
        #expect(first["total_seconds"] as? Int == 77)
        #expect(first["source"] as? String == "warehouse")
        let again = try F.lookups(try Tool.run("lt-query", postgres, stdin: input))[0]
        #expect(again["total_seconds"] as? Int == 77)
        #expect(again["source"] as? String == "cache")
        let every = try Tool.run("lt-query", ["--cache", "file:" + dir.file("cache"), "--cache-show", Self.key])
        let totals = try every.records().compactMap { ($0["lookup"] as? [String: Any])?["total_seconds"] as? Int }
        #expect(totals.sorted() == [77, 123], "\(every.stdout)")

        try schema.psql("UPDATE \(schema.table) SET LEARNING_TIME_SECONDS = 200 WHERE USER_ID = 1;")
        let adHoc = postgres + ["--user", "1", "--course", Self.course, "--enterprise", F.enterprise]
        let moved = try #require(try Tool.run("lt-query", adHoc).records().first)
        #expect((moved["lookup"] as? [String: Any])?["total_seconds"] as? Int == 200)
        #expect((moved["lookup"] as? [String: Any])?["source"] as? String == "warehouse")
        #expect(((moved["cache"] as? [String: Any])?["lookup"] as? [String: Any])?["total_seconds"] as? Int == 77)
        #expect(moved["difference"] as? String == "the warehouse has 200 s, the cache 77 s (+123 s)")
        // The ad-hoc lookup wrote nothing: a run still answers from the cache.
        #expect(try F.lookups(try Tool.run("lt-query", postgres, stdin: input))[0]["total_seconds"] as? Int == 77)
    }

    /// Several processes starting at once on a folder with no cache yet: none may call it
    /// damaged and rebuild it (which lost the others' entries), and every entry is kept.
    @Test func processesStartingTogetherOnANewFolderShareIt() throws {
        let dir = try Workdir()
        var rows: [(Int64, String, String, Int64?)] = []
        for u in 1...60 { rows.append((Int64(u), "course-v1:C", F.enterprise, Int64(u))) }
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(rows))
        for p in 0..<6 {
            let lines = (1...10).map { F.completion(user: p * 10 + $0, course: "course-v1:C") }
            try dir.write("in\(p).ndjson", lines.joined(separator: "\n") + "\n")
        }
        for trial in 0..<4 {
            let cache = dir.file("cache\(trial)")
            let out = try Tool.shell(
                """
                for p in 0 1 2 3 4 5; do
                  "$0" --warehouse "sqlite:$1" --cache "file:$2" --flag on < "$3/in$p.ndjson" > /dev/null 2> "$2.err$p" &
                done
                wait
                cat "$2".err*
                """, args: [Tool.path("lt-query"), db, cache, dir.path])
            #expect(!out.stdout.contains("damaged"), "trial \(trial): \(out.stdout)")
            #expect(!out.stdout.contains("warning"), "trial \(trial): \(out.stdout)")
            let stats = try #require(
                try Tool.run("lt-query", ["--cache", "file:" + cache, "--cache-stats"]).records().first)
            #expect(stats["entries"] as? Int == 60, "trial \(trial)")
        }
    }
}
