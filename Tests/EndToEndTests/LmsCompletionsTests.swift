import Foundation
import Testing

/// The producer example, examples/lms-completions, on the real PostgreSQL server the test command
/// starts: the LMS tables of examples/lms.sql (plus hostile and edge rows) in a schema of their own,
/// the recipe of examples/RECIPES.md run as written through lt-query, lt-enrich and lt-send to a
/// receiver on 127.0.0.1, and `lt-spool produce` of the systemd example.
@Suite struct LmsCompletionsTests {
    static let quoteCourse = #"course-v1:Quote+"Q"+2026"#
    static let hostileName = "Line one\nLine \"two\" \\ é ☃"

    /// Rows beyond examples/lms.sql: a learner in two enterprises whose grade passed in the day's last
    /// millisecond and is now below the mark, a course with no overview passed at the next midnight, a
    /// completion stamped in another time zone, and one outside any enterprise enrollment.
    static let extraRows = """
        INSERT INTO auth_user VALUES (67890, 'o''brien', 'o"brien\\x@example.com');
        INSERT INTO course_overviews_courseoverview VALUES ('course-v1:Quote+"Q"+2026', E'Line one\\nLine "two" \\\\ é ☃');
        INSERT INTO enterprise_enterprisecustomer VALUES ('0F0E0D0C-0B0A-0908-0706-050403020100', 'Second "Corp"');
        INSERT INTO enterprise_enterprisecustomeruser (id, enterprise_customer_id, user_id) VALUES
            (5, 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 67890), (6, '0f0e0d0c-0b0a-0908-0706-050403020100', 67890);
        INSERT INTO enterprise_enterprisecourseenrollment (enterprise_customer_user_id, course_id) VALUES
            (5, 'course-v1:Quote+"Q"+2026'), (6, 'course-v1:Quote+"Q"+2026'), (5, 'course-v1:NoOverview+X+1'),
            (3, 'course-v1:edX+DemoX+Demo_Course');
        INSERT INTO grades_persistentcoursegrade (user_id, course_id, percent_grade, letter_grade, passed_timestamp) VALUES
            (67890, 'course-v1:Quote+"Q"+2026', 0.55, '', '2026-01-10 23:59:59.999+00'),
            (67890, 'course-v1:NoOverview+X+1', 0.7, 'Pass', '2026-01-11 00:00:00+00'),
            (34567, 'course-v1:edX+DemoX+Demo_Course', 0.8, 'B', '2026-01-11 01:00:00+02'),
            (23456, 'course-v1:edX+DemoX+Demo_Course', 0.9, 'A', '2026-01-10 10:00:00+00');
        """

    /// A schema holding the LMS tables, and the libpq variables that make psql find them.
    final class LMS {
        let conninfo: String
        let schema = "lms_" + UUID().uuidString.prefix(8).lowercased()
        let env: [String: String]

        init(_ conninfo: String) throws {
            self.conninfo = conninfo
            var env: [String: String] = ["PGOPTIONS": "-c search_path=\(schema)"]
            let names = ["host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER"]
            for pair in conninfo.split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2, let name = names[kv[0]] { env[name] = kv[1] }
            }
            self.env = env
            let lms = try String(contentsOfFile: Tool.packageRoot + "/examples/lms.sql", encoding: .utf8)
            let out = try Tool.shell(
                "psql \"$0\" -X -v ON_ERROR_STOP=1 -qAt -f -", args: [conninfo],
                stdin: "CREATE SCHEMA \(schema); SET search_path = \(schema);\n" + lms + "\n"
                    + LmsCompletionsTests.extraRows)
            guard out.status == 0 else { throw TestFailure("psql failed: \(out.stderr)") }
        }

        deinit { _ = try? Tool.shell("psql \"$0\" -X -qAt -c \"DROP SCHEMA $1 CASCADE\"", args: [conninfo, schema]) }
    }

    /// examples/lms-completions with `args`.
    static func produce(_ args: [String], env: [String: String]) throws -> ToolOutput {
        try Tool.shell("\"$0\" \"$@\"", args: [Tool.packageRoot + "/examples/lms-completions"] + args, env: env)
    }

    static func json(_ line: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    /// The specification's shape, member for member, with the types partners expect.
    static func expectShape(_ p: [String: Any], _ line: String) {
        #expect(Set(p.keys) == ["user", "course", "completion", "enterprise"], "\(line)")
        let user = p["user"] as? [String: Any] ?? [:]
        #expect(
            Set(user.keys) == ["id", "email", "username"] && user["id"] is Int && user["email"] is String, "\(line)")
        let course = p["course"] as? [String: Any] ?? [:]
        #expect(Set(course.keys) == ["course_id", "course_name"] && course["course_name"] is String, "\(line)")
        let c = p["completion"] as? [String: Any] ?? [:]
        #expect(Set(c.keys) == ["completion_date", "percent_grade", "letter_grade", "is_passing"], "\(line)")
        #expect(
            (c["completion_date"] as? String)?.range(
                of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil, "\(line)")
        #expect(c["percent_grade"] is NSNumber && c["letter_grade"] is String, "\(line)")
        // A JSON boolean, not 0 or 1 (Foundation on Linux reads both as a number).
        #expect(line.range(of: #""is_passing" ?: ?(true|false)\}"#, options: .regularExpression) != nil, "\(line)")
        let e = p["enterprise"] as? [String: Any] ?? [:]
        #expect(Set(e.keys) == ["enterprise_customer_uuid", "enterprise_customer_name"], "\(line)")
        #expect(
            (e["enterprise_customer_uuid"] as? String)?.range(
                of: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", options: .regularExpression)
                != nil,
            "\(line)")
    }

    static func key(_ p: [String: Any]) -> String {
        let u = (p["user"] as? [String: Any])?["id"] as? Int ?? 0
        let c = (p["course"] as? [String: Any])?["course_id"] as? String ?? ""
        let e = (p["enterprise"] as? [String: Any])?["enterprise_customer_uuid"] as? String ?? ""
        return "\(u) \(c) \(e)"
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func theRecipeTurnsTheLMSTablesIntoPayloadsThatThePipelineDelivers() throws {
        let lms = try LMS(try Services.postgres())
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        try FileManager.default.copyItem(atPath: Tool.packageRoot + "/examples", toPath: dir.file("examples"))
        try dir.write(
            "integrations.toml",
            dir.read("examples/integrations.toml").replacingOccurrences(
                of: "127.0.0.1:8787", with: "127.0.0.1:\(receiver.port)"))
        let warehouse = try dir.sqliteWarehouse(dir.read("examples/warehouse.sql"))
        // The recipe as examples/RECIPES.md writes it, with what its preamble says to add for a local receiver.
        let recipe = try LtSendWhyAndCorrectionsTests.recipe("Completions from the LMS")
        #expect(recipe.contains("examples/lms-completions 2026-01-10 >"), "\(recipe)")
        let script = """
            set -eo pipefail
            lt-send() { command lt-send --allow-http --allow-private "$@"; }
            \(recipe)
            """
        var env = lms.env
        env["LT_WAREHOUSE"] = "sqlite:" + warehouse
        env["ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT"] = "true"
        env["LT_CACHE_DIR"] = dir.file("cache")
        env["LT_METRICS"] = ""
        let out = try Tool.shell(script, env: env, cwd: dir.path)
        #expect(out.status == 0, "\(out.stderr)")

        // The day: the example's completion of that day, one stamped 01:00+02 the next day (23:00 UTC),
        // and the hostile learner's grade once per enterprise; nothing outside an enterprise enrollment,
        // nothing from the next midnight on.
        let day = ToolOutput(stdout: dir.read("completions-2026-01-10.ndjson"), stderr: "", status: 0).lines
        let payloads = try day.map(Self.json)
        for (p, line) in zip(payloads, day) { Self.expectShape(p, line) }
        #expect(
            payloads.map(Self.key) == [
                "12345 course-v1:edX+DemoX+Demo_Course a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                "34567 course-v1:edX+DemoX+Demo_Course f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f",
                "67890 \(Self.quoteCourse) 0f0e0d0c-0b0a-0908-0706-050403020100",
                "67890 \(Self.quoteCourse) a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            ], "\(day)")
        // The example's own completion comes out as examples/completions.ndjson has it.
        let example = try Self.json(
            String(
                try String(contentsOfFile: Tool.packageRoot + "/examples/completions.ndjson", encoding: .utf8)
                    .split(separator: "\n")[0]))
        #expect(NSDictionary(dictionary: payloads.first ?? [:]).isEqual(to: example), "\(day.first ?? "")")
        let late = payloads.count == 4 ? payloads[2] : [:]
        #expect((late["completion"] as? [String: Any])?["completion_date"] as? String == "2026-01-10T23:59:59Z")
        #expect((late["completion"] as? [String: Any])?["is_passing"] as? Bool == false, "below the mark now")
        #expect((late["course"] as? [String: Any])?["course_name"] as? String == Self.hostileName)
        #expect((late["user"] as? [String: Any])?["email"] as? String == #"o"brien\x@example.com"#)
        #expect((late["enterprise"] as? [String: Any])?["enterprise_customer_name"] as? String == #"Second "Corp""#)
        #expect(
            ((payloads.count == 4 ? payloads[1] : [:])["completion"] as? [String: Any])?["completion_date"] as? String
                == "2026-01-10T23:00:00Z")

        // The month went through the pipeline: every line delivered, learning time where the warehouse has it.
        let results = try ToolOutput(stdout: dir.read("january.results.ndjson"), stderr: "", status: 0).records()
        #expect(results.count == 6 && results.allSatisfy { $0["status"] as? String == "delivered" }, "\(results)")
        let bodies = try receiver.requests().map { try Self.json($0["body"] as? String ?? "") }
        #expect(bodies.count == 6)
        let learning = Dictionary(
            bodies.map { (Self.key($0), ($0["learning_time"] as? [String: Any])?["total_seconds"] as? Int) },
            uniquingKeysWith: { a, _ in a })
        #expect(learning["12345 course-v1:edX+DemoX+Demo_Course a1b2c3d4-e5f6-7890-abcd-ef1234567890"] == 18540)
        #expect(learning["45678 course-v1:edX+DemoX+Demo_Course f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"] == 1234)
        let noOverview = bodies.first { Self.key($0).contains("NoOverview") }
        #expect((noOverview?["course"] as? [String: Any])?["course_name"] as? String == "course-v1:NoOverview+X+1")
        #expect(
            bodies.contains { ($0["course"] as? [String: Any])?["course_name"] as? String == Self.hostileName },
            "the hostile course name arrives as the LMS has it")

        // A day produced twice is skipped by the journal: the ids lt-send derives are the same.
        let twice = try Tool.shell(
            """
            for run in 1 2; do
                lt-send --allow-http --allow-private --integrations integrations.toml --journal j.db \
                    < completions-2026-01-10.ndjson > run-$run.results || [ $? -eq 1 ]
            done
            """, env: ["LT_METRICS": ""], cwd: dir.path)
        #expect(twice.status == 0, "\(twice.stderr)")
        let second = try ToolOutput(stdout: dir.read("run-2.results"), stderr: "", status: 0).records()
        #expect(second.count == 4 && second.allSatisfy { $0["status"] as? String == "skipped" }, "\(second)")
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func badDaysAndAnUnreachableDatabaseAreClearErrors() throws {
        let lms = try LMS(try Services.postgres())
        for args in [["2026-02-30"], ["10/01/2026"], ["2026-01-10", "2026-01-09"], [], ["a", "b", "c"]] {
            let out = try Self.produce(args, env: lms.env)
            #expect(out.status == 64 && out.stdout.isEmpty, "\(args): \(out.stderr)")
            #expect(out.stderr.contains("lms-completions") || out.stderr.contains("usage"), "\(out.stderr)")
        }
        let noDay = try Self.produce(["2026-02-30"], env: lms.env)
        #expect(noDay.stderr.contains("'2026-02-30' is not a day; write it as YYYY-MM-DD"), "\(noDay.stderr)")
        var missing = lms.env
        missing["PGOPTIONS"] = "-c search_path=lms_none"
        let noTables = try Self.produce(["2026-01-10"], env: missing)
        #expect(noTables.status == 2 && noTables.stdout.isEmpty, "\(noTables.stderr)")
        #expect(noTables.stderr.contains("grades_persistentcoursegrade"), "\(noTables.stderr)")
        let empty = try Self.produce(["2025-06-01", "2025-06-30"], env: lms.env)
        #expect(empty.status == 0 && empty.stdout.isEmpty, "\(empty.stderr)")
    }

    /// `lt-spool produce`, which lt-produce.service runs: the day's file appears whole in incoming/, a
    /// day without completions leaves none, and a failing producer leaves nothing behind.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func theSpoolScriptProducesADayIntoIncoming() throws {
        let lms = try LMS(try Services.postgres())
        let dir = try Workdir()
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("state"), withIntermediateDirectories: true)
        for f in ["examples/systemd/lt-spool", "examples/lms-completions"] {
            try FileManager.default.copyItem(
                atPath: Tool.packageRoot + "/" + f, toPath: dir.file("bin/" + (f as NSString).lastPathComponent))
        }
        var env = lms.env
        env["LT_SPOOL"] = dir.file("spool")
        env["LT_STATE"] = dir.file("state")
        let produce = try Tool.shell("bin/lt-spool produce 2026-01-10", env: env, cwd: dir.path)
        #expect(produce.status == 0, "\(produce.stderr)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("spool/incoming"))) ?? []
        #expect(files.count == 1 && files[0].hasPrefix("completions-2026-01-10-") && files[0].hasSuffix(".ndjson"))
        let direct = try Self.produce(["2026-01-10"], env: lms.env)
        #expect(!direct.stdout.isEmpty && dir.read("spool/incoming/" + (files.first ?? "")) == direct.stdout)

        let none = try Tool.shell("bin/lt-spool produce 2025-06-01", env: env, cwd: dir.path)
        #expect(none.status == 0, "\(none.stderr)")
        var failing = env
        failing["PGOPTIONS"] = "-c search_path=lms_none"
        let failed = try Tool.shell("bin/lt-spool produce 2026-01-11", env: failing, cwd: dir.path)
        #expect(failed.status == 2 && failed.stderr.contains("nothing spooled"), "\(failed.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir.file("spool/incoming"))) == files)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("spool"))) ?? []
        #expect(left.sorted() == ["incoming"], "\(left)")
    }
}
