import Foundation
import Testing

/// lt-query on the embedded SQLite warehouse: totals against sqlite3's own SUM, and every bad input.
@Suite struct LtQuerySQLiteTests {
    typealias F = LtQueryFixture

    func warehouse(_ dir: Workdir) throws -> String {
        try dir.sqliteWarehouse(F.schema + F.inserts(F.awkwardRows))
    }

    @Test func totalsMatchSQLiteSumsForRandomKeys() throws {
        let dir = try Workdir()
        var rng = SystemRandomNumberGenerator()
        var rows: [(Int64, String, String, Int64?)] = []
        for _ in 0..<400 {
            let u = Int64.random(in: 1...40, using: &rng)
            rows.append(
                (
                    u, "course-v1:X+C\(Int.random(in: 1...5, using: &rng))",
                    Bool.random() ? F.enterprise : F.otherEnterprise,
                    Int64.random(in: 0...7200, using: &rng)
                ))
        }
        let db = try dir.sqliteWarehouse(F.schema + F.inserts(rows))
        // Keys drawn from a range wider than the data, so some have no rows.
        let keys = (0..<150).map { _ in
            (
                Int64.random(in: 1...60, using: &rng), "course-v1:X+C\(Int.random(in: 1...6, using: &rng))",
                Bool.random() ? F.enterprise : F.otherEnterprise
            )
        }
        let input = keys.map { F.completion(user: $0.0, course: $0.1, enterprise: $0.2) }.joined(separator: "\n") + "\n"
        let out = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--no-cache", "--flag", "on", "--batch-size", "7"], stdin: input
        )
        #expect(out.status == 0, "\(out.stderr)")
        let lookups = try F.lookups(out)
        try #require(lookups.count == keys.count)
        var missing = 0
        for (k, l) in zip(keys, lookups) {
            let sum = try Tool.shell(
                "sqlite3 \"$0\" \"SELECT SUM(LEARNING_TIME_SECONDS) FROM LEARNING_TIME WHERE USER_ID=$1 AND COURSE_KEY='$2' AND ENTERPRISE_CUSTOMER_UUID='$3'\"",
                args: [db, String(k.0), k.1, k.2]
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if sum.isEmpty {
                missing += 1
                #expect(l["status"] as? String == "not_found", "\(k)")
            } else {
                #expect(l["status"] as? String == "found")
                #expect((l["total_seconds"] as? Int).map(String.init) == sum, "\(k)")
            }
        }
        #expect(missing > 0, "no key without rows was tried")
    }

    @Test func awkwardCourseKeysAndSums() throws {
        let dir = try Workdir()
        let db = try warehouse(dir)
        let cases: [(Int64, String, String, Int64?)] = [
            (1, "course-v1:edX+DemoX+Demo_Course", "found", 123),
            (2, #"course-v1:it's "quoted";%+x"#, "found", 50),
            (2, "course-v1:%", "not_found", nil),  // % is a plain character, not a wildcard
            (3, "course-v1:Écolé+Ünï+2026", "found", 70),
            (4, "course-v1:null", "not_found", nil),  // SUM over NULL only
            (5, "course-v1:zero", "found", 0),
            (6, "course-v1:negative", "unavailable", nil),
            (7, "course-v1:big", "found", 4_000_000_000),  // above 2^31
        ]
        let input = cases.map { F.completion(user: $0.0, course: $0.1) }.joined(separator: "\n") + "\n"
        let out = try Tool.run("lt-query", ["--warehouse", "sqlite:" + db, "--no-cache", "--flag", "on"], stdin: input)
        #expect(out.status == 1, "a negative total is an error")
        #expect(out.stderr.contains("negative"))
        let lookups = try F.lookups(out)
        try #require(lookups.count == cases.count)
        for (c, l) in zip(cases, lookups) {
            #expect(l["status"] as? String == c.2, "\(c.1): \(l)")
            if let t = c.3 { #expect(l["total_seconds"] as? Int64 == t, "\(c.1)") }
        }
        #expect((lookups[6]["error"] as? String)?.contains("negative") == true)
    }

    @Test func everyBadLineGetsAClearErrorAndTheStreamFlowsOn() throws {
        let dir = try Workdir()
        let db = try warehouse(dir)
        let good = F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course")
        let invalid: [(String, String)] = [
            (F.completion(user: "12345x", course: "c"), "user.id"),
            (F.completion(user: "abc", course: "c"), "not a number"),
            (F.completion(user: -1, course: "c"), "not positive"),
            (
                #"{"user": {"id": 1e400}, "course": {"course_id": "c"}, "completion": {}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#,
                "user.id"
            ),
            (F.completion(user: NSNull(), course: "c"), "user.id"),
            (F.completion(user: ["id": 1], course: "c"), "user.id"),
            (F.completion(user: 1, course: 42), "course.course_id"),
            (F.completion(user: 1, course: String(repeating: "x", count: 10_000)), "bytes long"),
            (F.completion(user: 1, course: "c", enterprise: "not-a-uuid"), "not a UUID"),
            (F.completion(user: 1, course: "c", enterprise: 5), "enterprise"),
            (
                #"{"user": {"id": 1}, "completion": {}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#,
                "course"
            ),
            (
                #"{"course": {"course_id": "c"}, "completion": {}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#,
                "user"
            ),
        ]
        let broken: [(String, String)] = [
            ("not json", "JSON"), ("[1, 2]", "not an object"), ("", "empty line"), ("{\"user\": ", "JSON"),
        ]
        var input = ""
        for (line, _) in invalid { input += line + "\n" + good + "\n" }
        for (line, _) in broken { input += line + "\n" }
        input += good + "\r\n"  // CRLF ending
        // Digits as a string, and no final newline.
        input += F.completion(user: "1", course: "course-v1:edX+DemoX+Demo_Course")
        let out = try Tool.run("lt-query", ["--warehouse", "sqlite:" + db, "--no-cache", "--flag", "on"], stdin: input)
        #expect(out.status == 1)
        // The 1e400 payload is passed on as it came, which JSONSerialization cannot read back.
        #expect(out.stdout.contains(#"{"id": 1e400}"#))
        var readable = out
        readable.stdout = out.stdout.replacingOccurrences(of: "1e400", with: "0")
        let records = try readable.records()
        try #require(records.count == invalid.count * 2 + broken.count + 2, "one output line per input line")
        for (i, (_, words)) in invalid.enumerated() {
            let bad = records[2 * i]["lookup"] as? [String: Any]
            #expect(bad?["status"] as? String == "invalid", "case \(i)")
            #expect((bad?["error"] as? String)?.contains(words) == true, "case \(i): \(bad?["error"] ?? "no error")")
            let after = records[2 * i + 1]["lookup"] as? [String: Any]
            #expect(after?["status"] as? String == "found")
            #expect(out.stderr.contains("<stdin>:\(2 * i + 1)"), "no located diagnostic for line \(2 * i + 1)")
        }
        for (j, (line, words)) in broken.enumerated() {
            let r = records[invalid.count * 2 + j]
            let error = try #require(r["error"] as? [String: Any], "line \(line) did not become an error record")
            #expect(r["input"] as? String == line)
            #expect(error["tool"] as? String == "lt-query")
            #expect((error["message"] as? String)?.contains(words) == true, "\(error)")
        }
        for r in records.suffix(2) {
            let l = r["lookup"] as? [String: Any]
            #expect(l?["status"] as? String == "found")
            #expect(l?["total_seconds"] as? Int == 123)
        }
    }

    @Test func missingTableOrColumnIsAConfigurationError() throws {
        let dir = try Workdir()
        let db = try warehouse(dir)
        let table = try Tool.run("lt-query", ["--warehouse", "sqlite:" + db, "--table", "NOPE"], stdin: "")
        #expect(table.status == 2)
        #expect(table.stderr.contains("NOPE"))
        let column = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--course-column", "COURSERUN_KEY"], stdin: "")
        #expect(column.status == 2)
        #expect(column.stderr.contains("--table and the column options"))
        let injected = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--table", "LEARNING_TIME; DROP TABLE x"], stdin: "")
        #expect(injected.status == 2)
        #expect(injected.stderr.contains("not a plain SQL identifier"))
        let file = try Tool.run("lt-query", ["--warehouse", "sqlite:" + dir.file("absent.db")], stdin: "")
        #expect(file.status == 2)
    }

    @Test func adHocLookupExplainAndStats() throws {
        let dir = try Workdir()
        let db = try warehouse(dir)
        let args = [
            "--warehouse", "sqlite:" + db, "--cache-dir", dir.file("cache"), "--user", "1",
            "--course", "course-v1:edX+DemoX+Demo_Course", "--enterprise", F.enterprise,
        ]
        let first = try Tool.run("lt-query", args)
        #expect(first.status == 0, "\(first.stderr)")
        let record = try #require(try first.records().first)
        let lookup = try #require(record["lookup"] as? [String: Any])
        #expect(lookup["total_seconds"] as? Int == 123)
        #expect(lookup["source"] as? String == "warehouse")
        #expect(record["duration_ms"] is Double)
        #expect((record["warehouse"] as? String)?.hasPrefix("sqlite:") == true)
        // Ad-hoc lookups read the warehouse and leave the cache alone unless told to write it.
        let second = try Tool.run("lt-query", args)
        #expect((try second.records().first?["lookup"] as? [String: Any])?["source"] as? String == "warehouse")
        #expect((try second.records().first?["cache"] as? [String: Any])?["cached"] as? Bool == false)
        #expect(try Tool.run("lt-query", args + ["--cache-write"]).status == 0)

        let explain = try Tool.run("lt-query", args + ["--explain"])
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("SUM(t.LEARNING_TIME_SECONDS)"))
        #expect(explain.stdout.contains("FROM k JOIN LEARNING_TIME AS t"))
        #expect(explain.stdout.contains("course-v1:edX+DemoX+Demo_Course"))

        let input =
            [
                F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course"), F.completion(user: 99, course: "c"),
                F.completion(user: -1, course: "c"), "nope",
            ].joined(separator: "\n") + "\n"
        let stats = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--cache-dir", dir.file("cache"), "--flag", "on", "--stats"],
            stdin: input)
        #expect(stats.stderr.contains("lines: 4"))
        #expect(stats.stderr.contains("found=1"))
        #expect(stats.stderr.contains("not_found=1"))
        #expect(stats.stderr.contains("invalid=1"))
        #expect(stats.stderr.contains("hits=1 misses=1 hit_rate=50%"))
        #expect(stats.stderr.contains("batches=1 round_trips=1"))
        #expect(stats.stderr.contains("p95="))
    }

    @Test func flagOffAndEnrollmentsAreSkippedWithoutAWarehouse() throws {
        let dir = try Workdir()
        let db = try warehouse(dir)
        let enrollment = #"{"user": {"id": 1}, "course": {"course_id": "c"}, "enrollment": {"mode": "verified"}}"#
        let input = F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course") + "\n" + enrollment + "\n"
        let off = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + db, "--no-cache", "--flag", "off", "--stats"], stdin: input)
        let lookups = try F.lookups(off)
        #expect(lookups.map { $0["reason"] as? String } == ["flag_off", "not_completion"])
        #expect(off.stderr.contains("round_trips=0"))
    }
}
