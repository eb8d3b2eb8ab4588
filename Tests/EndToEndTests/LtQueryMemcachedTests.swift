import Foundation
import Testing

/// `--cache memcached://…` against real memcached servers on loopback: a hit shared by two
/// "hosts", a server killed mid-run, long and odd keys.
@Suite(.enabled(if: Services.hasMemcached, Services.memcachedNote))
struct LtQueryMemcachedTests {
    typealias F = LtQueryFixture

    /// A warehouse with users 1…n of one course (user u has 10·u s), and its name, unique per test
    /// so that the namespace (and so every key) is the test's own on the shared servers.
    func warehouse(_ dir: Workdir, users n: Int, course: String = "course-v1:M") throws -> String {
        let rows = (1...n).map { (Int64($0), course, F.enterprise, Int64?(Int64($0) * 10)) }
        return try dir.sqliteWarehouse(F.schema + F.inserts(rows))
    }

    /// Runs lt-query as a separate "host": its own HOME and cache folder, the memcached servers given.
    func host(_ dir: Workdir, _ name: String, _ db: String, servers: String, input: String, extra: [String] = [])
        throws -> ToolOutput
    {
        let home = dir.file(name)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--flag", "on", "--stats"] + extra, stdin: input,
            env: ["HOME": home, "LT_CACHE_DIR": home + "/cache", "LT_CACHE": "memcached://" + servers])
    }

    @Test func aSecondHostAnswersFromTheFirstOnesEntries() throws {
        let dir = try Workdir()
        let servers = try Services.memcached()
        let db = try warehouse(dir, users: 400)
        let input = (1...500).map { F.completion(user: $0, course: "course-v1:M") }.joined(separator: "\n") + "\n"
        let first = try host(dir, "a", db, servers: servers, input: input)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("hits=0 misses=500"), "\(first.stderr)")
        // The warehouse loses its rows: only memcached can answer the second host now.
        _ = try Tool.shell("sqlite3 \"$0\" 'DELETE FROM LEARNING_TIME'", args: [db])
        let second = try host(dir, "b", db, servers: servers, input: input)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("hits=500 misses=0 hit_rate=100%"), "\(second.stderr)")
        #expect(second.stderr.contains("round_trips=0"), "\(second.stderr)")
        let lookups = try F.lookups(second)
        #expect(lookups.allSatisfy { $0["source"] as? String == "cache" })
        #expect(lookups[41]["total_seconds"] as? Int == 420)
        #expect(lookups[450]["status"] as? String == "not_found")
        // No cache file on either host: memcached was the cache.
        #expect(!FileManager.default.fileExists(atPath: dir.file("b/cache/lookups.sqlite")))
        // Both servers hold a share of the keys (ketama spreads them).
        let perServer = try servers.split(separator: ",").map { s in
            try Tool.shell(
                #"exec 3<>"/dev/tcp/${0%:*}/${0#*:}"; printf 'stats\r\nquit\r\n' >&3; cat <&3"#, args: [String(s)]
            ).stdout
        }
        for stats in perServer {
            let items = stats.split(separator: "\r\n").first { $0.hasPrefix("STAT curr_items ") }
            #expect((items?.split(separator: " ").last).flatMap { Int($0) } ?? 0 > 0, "\(stats)")
        }
        // --cache-show reads memcached too, for this warehouse's namespace.
        let shown = try host(
            dir, "c", db, servers: servers, input: "",
            extra: ["--cache-show", "learning_time:42:course-v1:M:\(F.enterprise)"])
        let entry = try #require(try shown.records().first)
        #expect((entry["lookup"] as? [String: Any])?["total_seconds"] as? Int == 420)
        #expect(entry["origin"] as? String == "run")
        #expect((entry["expires_in_seconds"] as? Int ?? 0) > 3000)
    }

    @Test func aServerKilledMidRunLeavesTheAnswersRight() throws {
        let dir = try Workdir()
        let one = try OwnMemcached()
        let two = try OwnMemcached()
        let db = try warehouse(dir, users: 100)
        let servers = "memcached://\(one.address),\(two.address)"
        let args = ["--warehouse", "sqlite:" + db, "--cache", servers, "--flag", "on", "--batch-window", "1ms"]
        // Warm both servers with users 1…60.
        let warm = (1...60).map { F.completion(user: $0, course: "course-v1:M") }.joined(separator: "\n") + "\n"
        #expect(try Tool.run("lt-query", args, stdin: warm).status == 0)
        let query = try Interactive("lt-query", args)
        var answers: [String] = []
        for u in 1...30 { answers.append(try query.ask(F.completion(user: u, course: "course-v1:M"))) }
        one.kill()
        for u in 31...100 { answers.append(try query.ask(F.completion(user: u, course: "course-v1:M"))) }
        let (status, stderr) = try query.finish()
        #expect(status == 0, "\(stderr)")
        for (i, a) in answers.enumerated() {
            #expect(a.contains(#""status":"found","total_seconds":\#((i + 1) * 10),"#), "line \(i + 1): \(a)")
        }
        // Some answers still came from the live server, and the dead one was named once.
        #expect(answers[30...].contains { $0.contains(#""source":"cache""#) })
        let warnings = stderr.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count == 1, "\(stderr)")
        #expect(warnings.first?.contains("memcached server \(one.address)") == true, "\(stderr)")
        #expect(warnings.first?.contains("its keys go to the warehouse") == true)
    }

    @Test func aServerThatStopsAnsweringCostsOneShortTimeout() throws {
        let dir = try Workdir()
        let slow = try OwnMemcached()
        let db = try warehouse(dir, users: 50)
        let input = (1...50).map { F.completion(user: $0, course: "course-v1:M") }.joined(separator: "\n") + "\n"
        let args = ["--warehouse", "sqlite:" + db, "--cache", "memcached://" + slow.address, "--flag", "on"]
        #expect(try Tool.run("lt-query", args, stdin: input).status == 0)
        // Frozen: it accepts connections (the kernel does) and never answers.
        Foundation.kill(slow.process.processIdentifier, SIGSTOP)
        let out = try Tool.run("lt-query", args + ["--batch-size", "10"], stdin: input)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            try F.lookups(out).enumerated().allSatisfy { $0.element["total_seconds"] as? Int == ($0.offset + 1) * 10 })
        let warnings = out.stderr.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count == 1, "\(out.stderr)")
        #expect(warnings.first?.contains("no answer within 250 ms") == true, "\(out.stderr)")
    }

    @Test func longAndOddCourseKeysAreStoredAndFound() throws {
        let dir = try Workdir()
        let servers = try Services.memcached()
        let courses = [
            "course-v1:" + String(repeating: "L", count: 245),  // 255 bytes: the key passes 250
            "course v1:with spaces",
            #"course-v1:it's "quoted";%+x"#,
            "course-v1:Écolé+Ünï+2026",
            "course-v1:" + String(repeating: "é", count: 120),
        ]
        var rows: [(Int64, String, String, Int64?)] = []
        for (i, c) in courses.enumerated() { rows.append((Int64(i + 1), c, F.enterprise, Int64(i + 1) * 7)) }
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(rows))
        let input =
            courses.enumerated().map { F.completion(user: $0.offset + 1, course: $0.element) }.joined(separator: "\n")
            + "\n"
        let first = try host(dir, "a", db, servers: servers, input: input)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stderr.contains("memcached server"), "\(first.stderr)")
        let second = try host(dir, "b", db, servers: servers, input: input)
        #expect(second.stderr.contains("hits=5 misses=0"), "\(second.stderr)")
        #expect(try F.lookups(second).map { $0["total_seconds"] as? Int } == [7, 14, 21, 28, 35])
    }
}
