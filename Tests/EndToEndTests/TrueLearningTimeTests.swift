import Foundation
import Testing

/// Learning time that is another learner's, another enterprise's or not a number never goes out
/// as found (issue 23, points 1, 2 and 6): the envelope key against the payload's own, enterprise
/// UUIDs in any case, SQLite's text totals, and `--last-updated rows`, on real SQLite files and the
/// test command's PostgreSQL server.
@Suite struct TrueLearningTimeTests {
    typealias F = LtQueryFixture
    static let upper = F.enterprise.uppercased()
    static let mixed = "A1b2C3d4-e5F6-7890-AbCd-eF1234567890"

    /// `LEARNING_TIME` rows (user, course, enterprise, date, seconds as SQL text).
    static let rows: [(Int64, String, String, String, String)] = [
        (12345, "course-v1:edX+DemoX+Demo_Course", F.enterprise, "2026-01-08", "18000"),
        (12345, "course-v1:edX+DemoX+Demo_Course", upper, "2026-01-10", "500"),
        (12345, "course-v1:edX+DemoX+Demo_Course", mixed, "2026-01-09", "40"),
        (34567, "course-v1:edX+DemoX+Demo_Course", F.otherEnterprise, "2026-01-03", "60"),
        (2, "course-v1:X+Text", F.enterprise, "2026-01-10", "'18540abc'"),
        (3, "course-v1:X+Text", F.enterprise, "2026-01-10", "'abc'"),
        (3, "course-v1:X+Text", F.enterprise, "2026-01-11", "5"),
        (4, "course-v1:X+Text", F.enterprise, "2026-01-10", "'100'"),
        (5, "course-v1:X+Date", F.enterprise, "'yesterday'", "30"),
    ]

    static func inserts(_ rows: [(Int64, String, String, String, String)], quoteDates: Bool = true) -> String {
        rows.map { r in
            let date = r.3.hasPrefix("'") ? r.3 : "'\(r.3)'"
            return
                "INSERT INTO LEARNING_TIME VALUES (\(r.0), \(F.sqlString(r.1)), \(F.sqlString(r.2)), \(date), \(r.4));"
        }.joined(separator: "\n")
    }

    /// SQLite's type affinity keeps what it cannot convert: the INTEGER column holds 'abc' as text.
    static let sqliteSchema = """
        CREATE TABLE LEARNING_TIME (USER_ID INTEGER NOT NULL, COURSE_KEY VARCHAR(255) NOT NULL,
          ENTERPRISE_CUSTOMER_UUID VARCHAR(36) NOT NULL, DATE DATE NOT NULL, LEARNING_TIME_SECONDS INTEGER,
          PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE));

        """

    func sqlite(_ dir: Workdir) throws -> String {
        "sqlite:" + (try dir.sqliteWarehouse(Self.sqliteSchema + Self.inserts(Self.rows)))
    }

    static let course = "course-v1:edX+DemoX+Demo_Course"

    func lookups(_ warehouse: String, _ lines: [String], _ extra: [String] = []) throws -> (ToolOutput, [[String: Any]])
    {
        let out = try Tool.run(
            "lt-query", ["--warehouse", warehouse, "--no-cache", "--flag", "on"] + extra,
            stdin: lines.joined(separator: "\n") + "\n")
        return (out, try F.lookups(out))
    }

    // MARK: 1. The envelope key never overrides the payload's own

    /// User 34567's completion in enterprise f0e1… with an envelope key naming user 12345 of a1b2…
    static let disagreeing =
        #"{"key":{"user_id":12345,"course_id":"\#(course)","enterprise_customer_uuid":"\#(F.enterprise)"},"payload":\#(F.completion(user: 34567, course: course, enterprise: F.otherEnterprise))}"#

    @Test func aKeyThatDisagreesWithThePayloadIsInvalid() throws {
        let dir = try Workdir()
        let agreeing =
            #"{"key":{"user_id":"12345","course_id":"\#(Self.course)","enterprise_customer_uuid":"\#(F.enterprise)"},"payload":\#(F.completion(user: 12345, course: Self.course, enterprise: Self.upper))}"#
        let percipio =
            #"{"event":"course_completion","key":{"user_id":12345,"course_id":"\#(Self.course)","enterprise_customer_uuid":"\#(F.enterprise)"},"payload":{"content_id":"x","user":"learner@example.com","status":"COMPLETED"}}"#
        let courseOnly =
            #"{"key":{"user_id":12345,"course_id":"\#(Self.course)","enterprise_customer_uuid":"\#(F.enterprise)"},"payload":{"course":{"course_id":"course-v1:Other+Run"},"completion":{}}}"#
        let (out, got) = try lookups(try sqlite(dir), [Self.disagreeing, agreeing, percipio, courseOnly])
        try #require(got.count == 4)
        #expect(out.status == 1)
        #expect(got[0]["status"] as? String == "invalid")
        #expect(got[0]["total_seconds"] == nil)
        let message = try #require(got[0]["error"] as? String)
        #expect(message.contains("key disagrees with the payload: user 12345 ≠ 34567"), "\(message)")
        #expect(message.contains("enterprise \(F.enterprise) ≠ \(F.otherEnterprise)"), "\(message)")
        #expect(out.stderr.contains("(at <stdin>:1): key disagrees with the payload"), "\(out.stderr)")
        // A key that agrees (a quoted user id, the UUID in another case) and payloads lt cannot read are looked up.
        #expect(got[1]["status"] as? String == "found")
        #expect(got[1]["total_seconds"] as? Int == 18540)
        #expect(got[2]["total_seconds"] as? Int == 18540)
        #expect(got[3]["status"] as? String == "invalid")
        #expect((got[3]["error"] as? String)?.contains("course \(Self.course) ≠ course-v1:Other+Run") == true)
    }

    /// lt-enrich makes the same check whatever the lookup says: a forged `found` is not spliced in.
    @Test func lteEnrichDoesNotTrustAFoundLookupForADisagreeingKey() throws {
        let forged =
            Self.disagreeing.dropLast()
            + #","lookup":{"status":"found","total_seconds":18540,"last_updated":"2026-01-10T00:00:00Z","source":"warehouse"}}"#
        let out = try Tool.run("lt-enrich", ["--flag", "on"], stdin: forged + "\n")
        let record = try #require(try out.records().first)
        let payload = try #require(record["payload"] as? [String: Any])
        #expect(payload["learning_time"] == nil)
        let enrichment = try #require(record["enrichment"] as? [String: Any])
        #expect(enrichment["learning_time"] as? Bool == false)
        #expect(enrichment["reason"] as? String == "invalid")
        #expect(out.stderr.contains("key disagrees with the payload"), "\(out.stderr)")
    }

    // MARK: 4. Every line says why (lt-enrich's half)

    @Test func lteEnrichRecordsTheReasonTheRuleTheLookupAndTheKey() throws {
        let dir = try Workdir()
        let warehouse = try sqlite(dir)
        let rollout = try dir.write(
            "rollout.json", #"{"enabled": true, "percent": 100, "enterprises_out": ["\#(F.otherEnterprise)"]}"#)
        let lines = [
            F.completion(user: 12345, course: Self.course, enterprise: Self.upper),
            F.completion(user: 34567, course: Self.course, enterprise: F.otherEnterprise),
            F.completion(user: 99999, course: Self.course),
            #"{"payload":{"enrollment":{},"user":{"id":12345,"email":"learner@example.com"}}}"#,
        ]
        let out = try Tool.shell(
            "lt-query --warehouse \"$0\" --no-cache --rollout \"$1\" | lt-enrich -v --rollout \"$1\"",
            args: [warehouse, rollout], stdin: lines.joined(separator: "\n") + "\n")
        #expect(out.status == 0, "\(out.stderr)")
        let records = try out.records()
        try #require(records.count == 4)
        let why = records.map { $0["enrichment"] as? [String: Any] ?? [:] }
        #expect(why[0]["learning_time"] as? Bool == true)
        #expect(why[0]["rule"] as? String == "percent")
        #expect(why[0]["total_seconds"] as? Int == 18540)
        #expect(why[0]["lookup_status"] as? String == "found")
        #expect(why[0]["lookup_source"] as? String == "warehouse")
        let key = try #require(why[0]["key"] as? [String: Any])
        #expect(key["user_id"] as? Int == 12345)
        #expect(key["course_id"] as? String == Self.course)
        #expect(key["enterprise_customer_uuid"] as? String == F.enterprise, "canonical, lower case")
        #expect(why[1]["learning_time"] as? Bool == false)
        #expect(why[1]["reason"] as? String == "flag_off")
        #expect(why[1]["rule"] as? String == "enterprises_out")
        #expect(why[1]["lookup_status"] as? String == "skipped")
        #expect((why[1]["key"] as? [String: Any])?["user_id"] as? Int == 34567)
        #expect(why[2]["reason"] as? String == "not_found")
        #expect(why[2]["lookup_status"] as? String == "not_found")
        #expect(why[3]["reason"] as? String == "not_completion")
        #expect(why[3]["key"] == nil)
        #expect(!out.stdout.contains("email\":\"learner") || !String(describing: why).contains("learner@"))
        // -v names the rule that decided each completion.
        #expect(out.stderr.contains("(flag_off, rule enterprises_out)"), "\(out.stderr)")
        #expect(out.stderr.contains("learning time added (rule percent)"), "\(out.stderr)")
    }

    // MARK: 2. Canonical keys; totals that are not whole numbers

    @Test func enterpriseUUIDsMatchInAnyCaseAndWarnOncePerRun() throws {
        let dir = try Workdir()
        let lines = [
            F.completion(user: 12345, course: Self.course, enterprise: Self.upper),
            F.completion(user: 12345, course: Self.course, enterprise: Self.mixed),
            F.completion(user: 12345, course: Self.course),
            // Course keys stay exact, as Open edX compares them.
            F.completion(user: 12345, course: "course-v1:EDX+DemoX+Demo_Course"),
        ]
        let (out, got) = try lookups(try sqlite(dir), lines)
        #expect(out.status == 0, "\(out.stderr)")
        try #require(got.count == 4)
        // Rows in three spellings of one UUID make one total, whichever spelling the line has.
        for l in got.prefix(3) { #expect(l["total_seconds"] as? Int == 18540, "\(l)") }
        #expect(got[3]["status"] as? String == "not_found")
        let warnings = out.stderr.components(separatedBy: "upper-case letters").count - 1
        #expect(warnings == 1, "\(out.stderr)")
        #expect(out.stderr.contains("(at <stdin>:1)"))
    }

    @Test func theCacheKeepsOneEntryPerEnterpriseWhateverItsCase() throws {
        let dir = try Workdir()
        let warehouse = try sqlite(dir)
        let cache = dir.file("cache")
        func run(_ enterprise: String) throws -> [String: Any] {
            let out = try Tool.run(
                "lt-query", ["--warehouse", warehouse, "--cache-dir", cache, "--flag", "on"],
                stdin: F.completion(user: 12345, course: Self.course, enterprise: enterprise) + "\n")
            return try #require(try F.lookups(out).first)
        }
        #expect(try run(Self.upper)["source"] as? String == "warehouse")
        let second = try run(F.enterprise)
        #expect(second["source"] as? String == "cache")
        #expect(second["total_seconds"] as? Int == 18540)
        let show = try Tool.run(
            "lt-query", ["--cache-dir", cache, "--cache-show", "learning_time:12345:\(Self.course):\(F.enterprise)"])
        #expect(show.stdout.contains("18540"), "\(show.stdout)")
    }

    @Test func sqliteTextThatIsNotANumberMakesItsKeyUnavailableAlone() throws {
        let dir = try Workdir()
        let lines = [
            F.completion(user: 2, course: "course-v1:X+Text"),
            F.completion(user: 3, course: "course-v1:X+Text"),
            F.completion(user: 4, course: "course-v1:X+Text"),
            F.completion(user: 12345, course: Self.course),
        ]
        let (out, got) = try lookups(try sqlite(dir), lines)
        #expect(out.status == 1)
        try #require(got.count == 4)
        #expect(got[0]["status"] as? String == "unavailable")
        #expect((got[0]["error"] as? String)?.contains("'18540abc'") == true, "\(got[0])")
        #expect((got[0]["error"] as? String)?.contains("learning_time:2:course-v1:X+Text:") == true)
        #expect(got[1]["status"] as? String == "unavailable")
        #expect((got[1]["error"] as? String)?.contains("'abc'") == true, "\(got[1])")
        // Text that is a whole number, and the other keys of the batch, are answered.
        #expect(got[2]["total_seconds"] as? Int == 100)
        #expect(got[3]["total_seconds"] as? Int == 18540)
        #expect(out.stderr.contains("not a whole number"), "\(out.stderr)")
    }

    // MARK: 6. --last-updated rows

    @Test func lastUpdatedRowsIsTheDayAfterTheLatestRowAndTheDefaultIsUnchanged() throws {
        let dir = try Workdir()
        let warehouse = try sqlite(dir)
        let lines = [
            F.completion(user: 12345, course: Self.course),
            F.completion(user: 34567, course: Self.course, enterprise: F.otherEnterprise),
            F.completion(user: 99999, course: Self.course),
        ]
        let today = Self.todayUTC()
        let (plain, byDefault) = try lookups(warehouse, lines)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(byDefault.map { $0["last_updated"] as? String } == [today, today, today])
        let (out, got) = try lookups(warehouse, lines, ["--last-updated", "rows"])
        #expect(out.status == 0, "\(out.stderr)")
        try #require(got.count == 3)
        #expect(got[0]["last_updated"] as? String == "2026-01-11T00:00:00Z")
        #expect(got[0]["total_seconds"] as? Int == 18540)
        #expect(got[1]["last_updated"] as? String == "2026-01-04T00:00:00Z")
        // No rows: the day it was looked up.
        #expect(got[2]["status"] as? String == "not_found")
        #expect(got[2]["last_updated"] as? String == today)
    }

    @Test func lastUpdatedRowsWithADayThatIsNotADateOrNoDateColumn() throws {
        let dir = try Workdir()
        let warehouse = try sqlite(dir)
        let (out, got) = try lookups(
            warehouse,
            [F.completion(user: 5, course: "course-v1:X+Date"), F.completion(user: 12345, course: Self.course)],
            ["--last-updated", "rows"])
        #expect(out.status == 1)
        #expect(got.first?["status"] as? String == "unavailable")
        #expect((got.first?["error"] as? String)?.contains("\"yesterday\" is not a date") == true, "\(got)")
        #expect(got.last?["last_updated"] as? String == "2026-01-11T00:00:00Z")
        let missing = try Tool.run(
            "lt-query",
            ["--warehouse", warehouse, "--no-cache", "--flag", "on", "--last-updated", "rows", "--date-column", "DAY"],
            stdin: F.completion(user: 12345, course: Self.course) + "\n")
        #expect(missing.status == 2, "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("DAY"), "\(missing.stderr)")
    }

    static func todayUTC() -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'00:00:00'Z'"
        return f.string(from: Date())
    }

    // MARK: PostgreSQL

    /// A schema of the test command's PostgreSQL holding ``rows`` (the text totals left out: the
    /// column is typed, so PostgreSQL refuses them itself), dropped when released.
    final class PostgresTable {
        let conninfo: String
        let name = "lt_t_" + UUID().uuidString.prefix(8).lowercased()
        var table: String { name + ".LEARNING_TIME" }

        init(_ conninfo: String) throws {
            self.conninfo = conninfo
            let rows = TrueLearningTimeTests.rows.filter { !$0.4.hasPrefix("'") && !$0.3.hasPrefix("'") }
            let out = try Tool.shell(
                "psql \"$0\" -v ON_ERROR_STOP=1 -qAt -f -", args: [conninfo],
                stdin: "CREATE SCHEMA \(name); SET search_path = \(name);\n" + F.schema
                    + TrueLearningTimeTests.inserts(rows)
                    + "\nINSERT INTO LEARNING_TIME VALUES (6, 'course-v1:X+Numeric', '\(F.enterprise)', '2026-01-10', 1);"
                    + "\nALTER TABLE LEARNING_TIME ALTER COLUMN LEARNING_TIME_SECONDS TYPE numeric(12,2);"
                    + "\nINSERT INTO LEARNING_TIME VALUES (6, 'course-v1:X+Numeric', '\(F.enterprise)', '2026-01-11', 0.5);"
            )
            guard out.status == 0 else { throw TestFailure("psql failed: \(out.stderr)") }
        }

        deinit {
            _ = try? Tool.shell(
                "psql \"$0\" -qAt -c \"DROP SCHEMA \(name) CASCADE\"", args: [conninfo])
        }
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func postgresMatchesUUIDsInAnyCaseAndReadsTheLatestDay() throws {
        let pg = try Services.postgres()
        let t = try PostgresTable(pg)
        let lines = [
            F.completion(user: 12345, course: Self.course, enterprise: Self.upper),
            F.completion(user: 12345, course: Self.course),
            F.completion(user: 12345, course: "course-v1:EDX+DemoX+Demo_Course"),
            F.completion(user: 6, course: "course-v1:X+Numeric"),
            #"{"key":{"user_id":12345,"course_id":"\#(Self.course)","enterprise_customer_uuid":"\#(F.enterprise)"},"payload":\#(F.completion(user: 34567, course: Self.course, enterprise: F.otherEnterprise))}"#,
        ]
        let (plain, byDefault) = try lookups(pg, lines, ["--table", t.table])
        #expect(plain.status == 1, "a fraction and a disagreeing key are errors")
        try #require(byDefault.count == 5)
        #expect(byDefault[0]["total_seconds"] as? Int == 18540)
        #expect(byDefault[0]["last_updated"] as? String == Self.todayUTC())
        #expect(byDefault[1]["total_seconds"] as? Int == 18540)
        #expect(byDefault[2]["status"] as? String == "not_found")
        #expect(byDefault[3]["status"] as? String == "unavailable")
        #expect((byDefault[3]["error"] as? String)?.contains("not a whole number") == true, "\(byDefault[3])")
        #expect(byDefault[4]["status"] as? String == "invalid")
        #expect(plain.stderr.components(separatedBy: "upper-case letters").count - 1 == 1, "\(plain.stderr)")
        let (_, rows) = try lookups(pg, lines, ["--table", t.table, "--last-updated", "rows"])
        #expect(rows[0]["last_updated"] as? String == "2026-01-11T00:00:00Z")
        #expect(rows[1]["last_updated"] as? String == "2026-01-11T00:00:00Z")
    }
}
