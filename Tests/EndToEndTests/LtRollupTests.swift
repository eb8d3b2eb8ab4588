import Foundation
import Testing

/// lt-rollup as operators run it: several log files interleaved in time, gzip, standard input,
/// the summary and exit status, and `--into` a real SQLite file and PostgreSQL server, after which
/// lt-query finds the totals.
@Suite struct LtRollupTests {
    static let enterprise = LtQueryFixture.enterprise
    static let course = "course-v1:edX+DemoX+Demo_Course"

    static func event(_ user: Int, _ time: String, course: String = LtRollupTests.course, tutor: Bool = false) -> String
    {
        let json =
            #"{"name": "problem_check", "event_type": "problem_check", "event_source": "server", "time": "\#(time)", "#
            + #""context": {"user_id": \#(user), "course_id": "\#(course)"}, "event": {}}"#
        return tutor ? "2026-01-10 10:00:00,308 INFO 7 [tracking] [user \(user)] logger.py:41 - " + json : json
    }

    /// Two LMS hosts' logs whose events interleave: learner 6's 10:00, 10:10, 10:50, 10:55 and
    /// learner 7's 23:50 → 00:10, split between the files, each file in its own time order.
    static func hostLogs(in dir: Workdir) throws -> (String, String) {
        let a = [
            event(6, "2026-01-10T10:00:00.000000+00:00"), event(6, "2026-01-10T10:50:00.000000+00:00"),
            event(7, "2026-01-10T23:50:00.000000+00:00"),
        ]
        let b = [
            event(6, "2026-01-10T10:10:00.000000+00:00", tutor: true), "{broken",
            event(6, "2026-01-10T10:55:00.000000+00:00", tutor: true),
            event(7, "2026-01-11T00:10:00.000000+00:00", tutor: true),
        ]
        return (
            try dir.write("lms1.log", a.joined(separator: "\n") + "\n"),
            try dir.write("lms2.log", b.joined(separator: "\n") + "\n")
        )
    }

    static func enterprises(in dir: Workdir) throws -> String {
        try dir.write(
            "ent.csv",
            "user_id,course_key,enterprise_customer_uuid\n6,\(course),\(enterprise)\n7,\(course),\(enterprise)\n")
    }

    @Test func interleavedFilesPlainAndGzipGiveTheHandComputedRows() throws {
        let dir = try Workdir()
        let (a, b) = try Self.hostLogs(in: dir)
        let gz = try Tool.shell("gzip -c \"$0\" > \"$0.gz\"", args: [b])
        #expect(gz.status == 0)
        let out = try Tool.run("lt-rollup", ["--enterprises", try Self.enterprises(in: dir), a, b + ".gz"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.lines == [
                #"{"user_id":6,"course_key":"course-v1:edX+DemoX+Demo_Course","enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","date":"2026-01-10","learning_time_seconds":900}"#,
                #"{"user_id":7,"course_key":"course-v1:edX+DemoX+Demo_Course","enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","date":"2026-01-10","learning_time_seconds":600}"#,
                #"{"user_id":7,"course_key":"course-v1:edX+DemoX+Demo_Course","enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","date":"2026-01-11","learning_time_seconds":600}"#,
            ])
        #expect(out.stderr.contains("skipped 1 not a JSON object (first at \(b).gz:2)"), "\(out.stderr)")

        // The same through standard input as one concatenated stream, truncate and CSV.
        let csv = try Tool.shell(
            "cat \"$0\" \"$1\" | lt-rollup --keep-unattributed --gap-policy truncate --format csv", args: [a, b])
        #expect(
            csv.lines == [
                "user_id,course_key,enterprise_customer_uuid,date,learning_time_seconds",
                "6,course-v1:edX+DemoX+Demo_Course,,2026-01-10,2700",
                "7,course-v1:edX+DemoX+Demo_Course,,2026-01-10,600",
                "7,course-v1:edX+DemoX+Demo_Course,,2026-01-11,600",
            ])
    }

    @Test func strictFailsOnMalformedLinesAndUnattributedRowsAreLeftOut() throws {
        let dir = try Workdir()
        let (a, b) = try Self.hostLogs(in: dir)
        let lenient = try Tool.run("lt-rollup", [a, b])
        #expect(lenient.status == 0)
        #expect(lenient.stdout.isEmpty)
        #expect(lenient.stderr.contains("3 day rows without an enterprise left out"), "\(lenient.stderr)")
        let strict = try Tool.run("lt-rollup", ["--strict", a, b])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("lt-rollup: error: 1 malformed lines"), "\(strict.stderr)")
        let missing = try Tool.run("lt-rollup", ["--enterprises", dir.file("none.csv"), a])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read --enterprises"))
    }

    /// A cut gzip file, or one that cannot be opened, would give totals over part of a day and
    /// replace the day's rows with them: the run stops with 74 before anything is written.
    @Test func aCutGzipOrAMissingInputWritesNothing() throws {
        let dir = try Workdir()
        let (a, b) = try Self.hostLogs(in: dir)
        let ent = try Self.enterprises(in: dir)
        let db = "sqlite:" + dir.file("warehouse.db")
        #expect(try Tool.run("lt-rollup", ["--enterprises", ent, "--into", db, a, b]).status == 0)
        let table = {
            try Tool.shell(
                "sqlite3 \"$0\" 'SELECT * FROM LEARNING_TIME ORDER BY 1, 4'", args: [dir.file("warehouse.db")]
            ).lines
        }
        let before = try table()
        #expect(before.count == 3)
        // b's gzip without its last 8 bytes (the check sum and length): every line decompresses.
        let cut = try Tool.shell(
            "gzip -c \"$0\" > \"$0.gz\" && head -c $(( $(wc -c < \"$0.gz\") - 8 )) \"$0.gz\" > \"$0.cut.gz\"", args: [b]
        )
        #expect(cut.status == 0)
        for args in [[a, b + ".cut.gz"], ["--into", db, "--gap-policy", "truncate", a, b + ".cut.gz"]] {
            let out = try Tool.run("lt-rollup", ["--enterprises", ent] + args)
            #expect(out.status == 74, "\(out.stderr)")
            #expect(out.stdout.isEmpty)
            #expect(out.stderr.contains("\(b).cut.gz: the gzip data ends early"), "\(out.stderr)")
            #expect(out.stderr.contains("nothing was written"), "\(out.stderr)")
        }
        // Through standard input too (no byte offset to give).
        let piped = try Tool.shell("lt-rollup < \"$0.cut.gz\"", args: [b])
        #expect(piped.status == 74, "\(piped.stderr)")
        #expect(piped.stdout.isEmpty)
        // An input that cannot be opened stops the run before the others are read.
        let missing = try Tool.run("lt-rollup", ["--enterprises", ent, "--into", db, a, dir.file("none.log")])
        #expect(missing.status == 74, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot open \(dir.file("none.log"))"), "\(missing.stderr)")
        #expect(try table() == before)
        // The whole file, as two gzip members (`cat a.gz b.gz`), reads fully.
        let two = try Tool.shell("gzip -c \"$0\" > \"$0.2.gz\" && gzip -c \"$1\" >> \"$0.2.gz\"", args: [a, b])
        #expect(two.status == 0)
        let whole = try Tool.run("lt-rollup", ["--enterprises", ent, a + ".2.gz"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.lines.count == 3)
    }

    /// The learner's total through lt-query, from the warehouse at `address`.
    static func queried(_ address: String, table: String, user: Int = 6) throws -> Int? {
        let out = try Tool.run(
            "lt-query", ["--warehouse", address, "--table", table, "--no-cache", "--flag", "on"],
            stdin: LtQueryFixture.completion(user: user, course: course) + "\n")
        let lookup = try LtQueryFixture.lookups(out).first
        return lookup?["total_seconds"] as? Int
    }

    @Test func intoSQLiteIsIdempotentReplacesDaysAndLtQueryFindsTheSum() throws {
        let dir = try Workdir()
        let (a, b) = try Self.hostLogs(in: dir)
        let ent = try Self.enterprises(in: dir)
        let db = "sqlite:" + dir.file("warehouse.db")
        for _ in 0..<2 {
            let out = try Tool.run("lt-rollup", ["--enterprises", ent, "--into", db, a, b])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.isEmpty)
            // Every run into a table says which days it replaced whole.
            #expect(out.stderr.contains("replaced every row of 2026-01-10, 2026-01-11 "), "\(out.stderr)")
        }
        let rows = try Tool.shell(
            "sqlite3 \"$0\" 'SELECT * FROM LEARNING_TIME ORDER BY 1, 4'", args: [dir.file("warehouse.db")])
        #expect(
            rows.lines == [
                "6|\(Self.course)|\(Self.enterprise)|2026-01-10|900",
                "7|\(Self.course)|\(Self.enterprise)|2026-01-10|600",
                "7|\(Self.course)|\(Self.enterprise)|2026-01-11|600",
            ])
        #expect(try Self.queried(db, table: "LEARNING_TIME", user: 7) == 1200)
        // Recomputing 2026-01-10 with truncate replaces that day's rows; a later day is added.
        let later = try dir.write(
            "later.log",
            [Self.event(6, "2026-01-12T09:00:00Z"), Self.event(6, "2026-01-12T09:20:00Z")].joined(separator: "\n"))
        #expect(try Tool.run("lt-rollup", ["--enterprises", ent, "--into", db, later]).status == 0)
        #expect(
            try Tool.run("lt-rollup", ["--enterprises", ent, "--gap-policy", "truncate", "--into", db, a, b]).status
                == 0)
        #expect(try Self.queried(db, table: "LEARNING_TIME") == 2700 + 1200)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func intoPostgreSQLIsIdempotentAndLtQueryFindsTheSum() throws {
        let pg = try Services.postgres()
        let schema = "lt_r_" + UUID().uuidString.prefix(8).lowercased()
        let psql = { (sql: String) throws -> ToolOutput in
            try Tool.shell("psql \"$0\" -v ON_ERROR_STOP=1 -qAt -f -", args: [pg], stdin: sql)
        }
        let created = try psql(
            "CREATE SCHEMA \(schema); CREATE TABLE \(schema).LEARNING_TIME (USER_ID INTEGER NOT NULL, "
                + "COURSE_KEY VARCHAR(255) NOT NULL, ENTERPRISE_CUSTOMER_UUID VARCHAR(36) NOT NULL, DATE DATE NOT NULL, "
                + "LEARNING_TIME_SECONDS INTEGER NOT NULL, PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE), "
                // Which program wrote each row, as the server knew it (pg_stat_activity's name).
                + "WRITTEN_BY TEXT DEFAULT current_setting('application_name'));"
                + "INSERT INTO \(schema).LEARNING_TIME VALUES (6, '\(Self.course)', '\(Self.enterprise)', '2026-01-10', 5);"
        )
        #expect(created.status == 0, "\(created.stderr)")
        defer { _ = try? psql("DROP SCHEMA \(schema) CASCADE") }
        let dir = try Workdir()
        let (a, b) = try Self.hostLogs(in: dir)
        let ent = try Self.enterprises(in: dir)
        for _ in 0..<2 {
            let out = try Tool.run(
                "lt-rollup", ["--enterprises", ent, "--into", pg, "--table", "\(schema).LEARNING_TIME", a, b])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let rows = try psql("SELECT user_id, date, learning_time_seconds FROM \(schema).LEARNING_TIME ORDER BY 1, 2")
        #expect(rows.lines == ["6|2026-01-10|900", "7|2026-01-10|600", "7|2026-01-11|600"])
        #expect(try psql("SELECT DISTINCT written_by FROM \(schema).LEARNING_TIME").lines == ["lt-rollup"])
        #expect(try Self.queried(pg, table: "\(schema).LEARNING_TIME", user: 7) == 1200)
        #expect(try Self.queried(pg, table: "\(schema).LEARNING_TIME", user: 6) == 900)
        // A table that is not there is a configuration error, and nothing is written.
        let wrong = try Tool.run("lt-rollup", ["--into", pg, "--table", "\(schema).MISSING", a])
        #expect(wrong.status == 2, "\(wrong.stderr)")
    }
}
