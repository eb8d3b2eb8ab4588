import Foundation
import Testing

/// The file cache through the binary: hits, negative hits, expiry, damage, an unusable folder,
/// concurrent processes, and the maintenance options.
@Suite struct LtQueryCacheTests {
    typealias F = LtQueryFixture
    static let found = F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course")
    static let absent = F.completion(user: 999, course: "course-v1:none")

    func run(_ dir: Workdir, _ db: String, _ extra: [String] = [], input: String = found + "\n" + absent + "\n") throws
        -> ToolOutput
    {
        try Tool.run(
            "lt-query",
            ["--warehouse", "sqlite:" + db, "--cache-dir", dir.file("cache"), "--flag", "on", "--stats"] + extra,
            stdin: input)
    }

    @Test func missThenHitAndNegativeHit() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        let cold = try run(dir, db)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(try F.lookups(cold).map { $0["source"] as? String } == ["warehouse", "warehouse"])
        #expect(cold.stderr.contains("hits=0 misses=2"))
        // The warehouse is gone: only the cache can answer now.
        try FileManager.default.removeItem(atPath: db)
        try dir.sqliteWarehouse(
            "CREATE TABLE LEARNING_TIME (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, LEARNING_TIME_SECONDS);")
        let warm = try run(dir, db)
        #expect(warm.status == 0, "\(warm.stderr)")
        let lookups = try F.lookups(warm)
        #expect(lookups.map { $0["source"] as? String } == ["cache", "cache"])
        #expect(lookups.map { $0["status"] as? String } == ["found", "not_found"])
        #expect(lookups[0]["total_seconds"] as? Int == 123)
        #expect(lookups[0]["last_updated"] as? String == (try F.lookups(cold))[0]["last_updated"] as? String)
        #expect(warm.stderr.contains("hits=2 misses=0 hit_rate=100%"))
        #expect(warm.stderr.contains("round_trips=0"))
    }

    @Test func expiredEntriesAreAskedAgain() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        _ = try run(dir, db, ["--ttl", "0s", "--negative-ttl", "1h"])
        let again = try run(dir, db)
        // The found value expired at once; the "no data" entry lives an hour.
        #expect(try F.lookups(again).map { $0["source"] as? String } == ["warehouse", "cache"])
        let show = try Tool.run(
            "lt-query",
            [
                "--cache-dir", dir.file("cache"), "--cache-show",
                "learning_time:999:course-v1:none:\(F.enterprise)",
            ])
        let shown = try #require(try show.records().first)
        #expect(shown["cached"] as? Bool == true)
        #expect(shown["expired"] as? Bool == false)
        #expect((shown["expires_in_seconds"] as? Int ?? 0) > 3000)
    }

    @Test(arguments: ["garbage", "old lt cache"])
    func damagedCacheFileIsRebuilt(damage: String) throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        try FileManager.default.createDirectory(atPath: dir.file("cache"), withIntermediateDirectories: true)
        if damage == "garbage" {
            try dir.write("cache/lookups.sqlite", String(repeating: "not a database ", count: 1000))
        } else {
            // The cache's first format: a `lookups` table, no application id.
            _ = try Tool.shell(
                "sqlite3 \"$0\" 'CREATE TABLE lookups (x); INSERT INTO lookups VALUES (1);'",
                args: [dir.file("cache/lookups.sqlite")])
        }
        let first = try run(dir, db)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("rebuilding"))
        #expect(try F.lookups(first).map { $0["status"] as? String } == ["found", "not_found"])
        let second = try run(dir, db)
        // "No data" is the specification's warning; nothing else may warn.
        #expect(
            !second.stderr.split(separator: "\n").contains {
                $0.contains("warning") && !$0.contains("no learning time data")
            })
        #expect(try F.lookups(second).map { $0["source"] as? String } == ["cache", "cache"])
    }

    @Test func anotherProgramsDatabaseAsTheCacheIsLeftAsItIs() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        try FileManager.default.createDirectory(atPath: dir.file("cache"), withIntermediateDirectories: true)
        let file = dir.file("cache/lookups.sqlite")
        _ = try Tool.shell("sqlite3 \"$0\" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'", args: [file])
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let out = try run(dir, db)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("another program's SQLite database"), "\(out.stderr)")
        #expect(try F.lookups(out).map { $0["status"] as? String } == ["found", "not_found"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
    }

    @Test func readOnlyFolderWarnsOnceAndGoesOnUncached() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        let cache = dir.file("cache")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        chmod(cache, 0o555)
        chmod(dir.path, 0o755)
        chmod(db, 0o644)
        defer { chmod(cache, 0o755) }
        // Root ignores permissions, so run as nobody then.
        let prefix = getuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : ""
        let out = try Tool.shell(
            prefix + "\"$0\" --warehouse \"sqlite:$1\" --cache-dir \"$2\" --flag on --stats",
            args: [Tool.path("lt-query"), db, cache],
            stdin: String(repeating: Self.found + "\n" + Self.absent + "\n", count: 3))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            try F.lookups(out).map { $0["status"] as? String } == [
                "found", "not_found", "found", "not_found", "found", "not_found",
            ])
        let warnings = out.stderr.split(separator: "\n").filter {
            $0.contains("warning") && !$0.contains("no learning time data")
        }
        #expect(warnings.count == 1, "\(out.stderr)")
        #expect(warnings.first?.contains("without the cache") == true)
        #expect(!FileManager.default.fileExists(atPath: cache + "/lookups.sqlite"))
    }

    @Test func twoProcessesShareTheCacheAtOnce() throws {
        let dir = try Workdir()
        var rows: [(Int64, String, String, Int64?)] = []
        for u in 1...300 { rows.append((Int64(u), "course-v1:C", F.enterprise, Int64(u * 10))) }
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(rows))
        let a = (1...300).map { F.completion(user: $0, course: "course-v1:C") }.joined(separator: "\n") + "\n"
        let b =
            (1...300).reversed().map { F.completion(user: $0 + 150, course: "course-v1:C") }.joined(separator: "\n")
            + "\n"
        try dir.write("a.ndjson", a)
        try dir.write("b.ndjson", b)
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --cache-dir "$2" --flag on --batch-size 5 < "$3" > "$3.out" 2> "$3.err" & p1=$!
            lt-query --warehouse "sqlite:$1" --cache-dir "$2" --flag on --batch-size 5 < "$4" > "$4.out" 2> "$4.err" & p2=$!
            wait $p1; s1=$?; wait $p2; s2=$?
            echo "$s1 $s2"; cat "$3.err" "$4.err"
            """, args: ["", db, dir.file("cache"), dir.file("a.ndjson"), dir.file("b.ndjson")])
        #expect(out.stdout.hasPrefix("0 0"), "\(out.stdout)")
        // "No data" for the users past 300 is the specification's warning; nothing else may warn.
        let otherWarnings = out.stdout.split(separator: "\n").filter {
            $0.contains("warning") && !$0.contains("no learning time data")
        }
        #expect(otherWarnings.isEmpty, "\(otherWarnings)")
        #expect(dir.read("a.ndjson.out").split(separator: "\n").count == 300)
        #expect(dir.read("b.ndjson.out").split(separator: "\n").count == 300)
        // Afterwards every key both wrote is answered from the cache, with the right totals.
        let all = (1...450).map { F.completion(user: $0, course: "course-v1:C") }.joined(separator: "\n") + "\n"
        let warm = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--cache-dir", dir.file("cache"), "--flag", "on"], stdin: all)
        let lookups = try F.lookups(warm)
        #expect(lookups.allSatisfy { $0["source"] as? String == "cache" })
        #expect(lookups[9]["total_seconds"] as? Int == 100)
        #expect(lookups[400]["status"] as? String == "not_found")
        let stats = try Tool.run("lt-query", ["--cache-dir", dir.file("cache"), "--cache-stats"])
        let s = try #require(try stats.records().first)
        #expect(s["entries"] as? Int == 450)
        #expect(s["not_found_entries"] as? Int == 150)
    }

    @Test func maintenanceShowsStatsAndPurges() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
        _ = try run(dir, db, ["--negative-ttl", "0s"])
        let show = try Tool.run(
            "lt-query",
            [
                "--cache-dir", dir.file("cache"),
                "--cache-show", "learning_time:1:course-v1:edX+DemoX+Demo_Course:\(F.enterprise)",
                "--cache-show", "learning_time:2:nothing:\(F.enterprise)",
            ])
        #expect(show.status == 0, "\(show.stderr)")
        let shown = try show.records()
        #expect(shown.count == 2)
        #expect((shown[0]["lookup"] as? [String: Any])?["total_seconds"] as? Int == 123)
        #expect(shown[1]["cached"] as? Bool == false)
        let stats = try #require(
            try Tool.run("lt-query", ["--cache-dir", dir.file("cache"), "--cache-stats"]).records().first)
        #expect(stats["entries"] as? Int == 2)
        #expect(stats["expired_entries"] as? Int == 1)
        let purged = try #require(
            try Tool.run("lt-query", ["--cache-dir", dir.file("cache"), "--cache-purge", "expired"]).records().first)
        #expect(purged["deleted_entries"] as? Int == 1)
        let all = try #require(
            try Tool.run("lt-query", ["--cache-dir", dir.file("cache"), "--cache-purge", "all"]).records().first)
        #expect(all["deleted_entries"] as? Int == 1)
        #expect(try Tool.run("lt-query", ["--cache-purge", "some"]).status == 64)
        #expect(try Tool.run("lt-query", ["--cache-dir", dir.file("cache"), "--cache-show", "bogus"]).status == 2)
    }
}
