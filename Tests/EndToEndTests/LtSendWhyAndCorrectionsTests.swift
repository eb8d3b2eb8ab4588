import Foundation
import Testing

/// Every result says why (issue 23, point 4, lt-send's half), and corrections after delivery
/// (point 5): the whole pipeline on a real SQLite warehouse, delivering to a receiver on 127.0.0.1.
@Suite struct LtSendWhyAndCorrectionsTests {
    typealias F = LtQueryFixture
    static let course = "course-v1:edX+DemoX+Demo_Course"

    /// A completion with the learner's email and name, which must never reach a result.
    static func completion(_ user: Int, enterprise: String = F.enterprise, date: String = "2026-01-10T15:30:00Z")
        -> String
    {
        #"{"user":{"id":\#(user),"email":"learner\#(user)@example.com","username":"Learner \#(user)"},"course":{"course_id":"\#(course)","course_name":"Demo"},"completion":{"completion_date":"\#(date)","is_passing":true},"enterprise":{"enterprise_customer_uuid":"\#(enterprise)","enterprise_customer_name":"Demo Corp"}}"#
    }

    static let schema = """
        CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255), ENTERPRISE_CUSTOMER_UUID VARCHAR(36),
          DATE DATE, LEARNING_TIME_SECONDS INTEGER, PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE));

        """

    static func row(_ user: Int, _ date: String, _ seconds: Int) -> String {
        "INSERT INTO LEARNING_TIME VALUES (\(user), '\(course)', '\(F.enterprise)', '\(date)', \(seconds));\n"
    }

    @Test func resultsAndAttemptsSayWhyWithIdsOnly() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(Self.schema + Self.row(1, "2026-01-09", 18540))
        try resultsAndAttemptsSayWhy(in: dir, warehouse: ["--warehouse", "sqlite:" + db])
    }

    /// The same reasons with the test command's PostgreSQL server as the warehouse.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func resultsAndAttemptsSayWhyOnPostgres() throws {
        let pg = try Services.postgres()
        let schema = try LtQueryPostgresTests.Schema(pg, rows: [(1, Self.course, F.enterprise, 18540)])
        try resultsAndAttemptsSayWhy(in: try Workdir(), warehouse: ["--warehouse", pg, "--table", schema.table])
    }

    func resultsAndAttemptsSayWhy(in dir: Workdir, warehouse: [String]) throws {
        let rollout = try dir.write(
            "rollout.json", #"{"enabled": true, "percent": 100, "enterprises_out": ["\#(F.otherEnterprise)"]}"#)
        let receiver = try Receiver(in: dir)
        let input = [Self.completion(1), Self.completion(2), Self.completion(3, enterprise: F.otherEnterprise)]
        let out = try Tool.shell(
            """
            lt-query "${@:4}" --no-cache --rollout "$1" | lt-enrich --rollout "$1" \
              | lt-send --url "$2" --allow-http --allow-private --attempts "$3"
            """, args: ["", rollout, receiver.url(), dir.file("attempts.ndjson")] + warehouse,
            stdin: input.joined(separator: "\n") + "\n")
        #expect(out.status == 0, "\(out.stderr)")
        let results = try out.records().sorted { ($0["line"] as? Int ?? 0) < ($1["line"] as? Int ?? 0) }
        try #require(results.count == 3)
        #expect(results.allSatisfy { $0["status"] as? String == "delivered" })
        #expect(results[0]["learning_time"] as? Bool == true)
        #expect(results[0]["reason"] is NSNull)
        #expect(results[0]["rule"] as? String == "percent")
        #expect(results[0]["lookup_status"] as? String == "found")
        #expect(results[0]["lookup_source"] as? String == "warehouse")
        #expect((results[0]["key"] as? [String: Any])?["user_id"] as? Int == 1)
        #expect(results[1]["reason"] as? String == "not_found")
        #expect(results[2]["reason"] as? String == "flag_off")
        #expect(results[2]["rule"] as? String == "enterprises_out")
        #expect((results[2]["key"] as? [String: Any])?["enterprise_customer_uuid"] as? String == F.otherEnterprise)
        let attempts = try String(contentsOfFile: dir.file("attempts.ndjson"), encoding: .utf8)
        let records = try attempts.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        try #require(records.count == 3)
        for r in records {
            let line = r["line"] as? Int ?? 0
            let result = results[line - 1]
            for field in ["learning_time", "reason", "rule", "lookup_status", "lookup_source"] {
                #expect("\(r[field] ?? "absent")" == "\(result[field] ?? "absent")", "\(field) of line \(line)")
            }
            #expect((r["key"] as? [String: Any])?["user_id"] as? Int == line)
        }
        // Ids only: the payload's email and name reach the partner, never the results or the attempt log.
        for text in [out.stdout, attempts] {
            #expect(!text.contains("example.com") && !text.contains("Learner ") && !text.contains("Demo Corp"))
        }

        // The recipe "why did learner X get no learning time?", as examples/RECIPES.md writes it.
        try dir.write("backfill.results.ndjson", out.stdout)
        let recipe = try Self.recipe("Why did learner X get no learning time?")
        let why = try Tool.shell(recipe.replacingOccurrences(of: "12345", with: "3"), cwd: dir.path)
        #expect(why.status == 0, "\(why.stderr)")
        #expect(why.stdout.contains(#""reason":"flag_off""#), "\(why.stdout)")
        #expect(why.stdout.contains(#""rule":"enterprises_out""#), "\(why.stdout)")
        #expect(why.lines.count == 1)
    }

    /// The first command block of the examples/RECIPES.md section under `heading`.
    static func recipe(_ heading: String) throws -> String {
        let text = try String(contentsOfFile: Tool.packageRoot + "/examples/RECIPES.md", encoding: .utf8)
        guard let start = text.range(of: "## " + heading) else { throw TestFailure("no recipe \(heading)") }
        var block: [String] = []
        for line in text[start.upperBound...].components(separatedBy: "\n").dropFirst() {
            if line.hasPrefix("## ") { break }
            if line.hasPrefix("    ") {
                block.append(String(line.dropFirst(4)))
            } else if !block.isEmpty && !line.trimmingCharacters(in: .whitespaces).isEmpty {
                break
            } else if !block.isEmpty {
                break
            }
        }
        guard !block.isEmpty else { throw TestFailure("recipe \(heading) has no command") }
        return block.joined(separator: "\n")
    }

    // MARK: 5. Corrections after delivery

    /// Runs the pipeline over `input` into the journal, with `extra` lt-send options; the results.
    func refresh(
        _ dir: Workdir, _ db: String, _ receiver: Receiver, _ input: String, _ extra: [String] = []
    ) throws -> (ToolOutput, [[String: Any]]) {
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$0" --no-cache --flag on | lt-enrich --flag on \
              | lt-send --url "$1" --allow-http --allow-private --journal "$2" "${@:3}"
            """, args: [db, receiver.url(), dir.file("sent.journal")] + extra, stdin: input)
        let records = try out.records().sorted { ($0["line"] as? Int ?? 0) < ($1["line"] as? Int ?? 0) }
        return (out, records)
    }

    func sql(_ db: String, _ text: String) throws -> String {
        let out = try Tool.shell("sqlite3 \"$0\" \"$1\"", args: [db, text])
        guard out.status == 0 else { throw TestFailure("sqlite3: \(out.stderr)") }
        return out.stdout
    }

    @Test func aCorrectionEndToEnd() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(
            Self.schema + Self.row(1, "2026-01-09", 100) + Self.row(2, "2026-01-09", 200)
                + Self.row(4, "2026-01-09", 400))
        let receiver = try Receiver(in: dir)
        let input = (1...4).map { Self.completion($0) }.joined(separator: "\n") + "\n"

        // Deliver: users 1, 2 and 4 with learning time, user 3 without (the rollup is behind).
        let (first, delivered) = try refresh(dir, db, receiver, input)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(delivered.map { $0["status"] as? String } == Array(repeating: "delivered", count: 4))
        #expect(delivered[2]["learning_time"] as? Bool == false)
        let ids = delivered.map { $0["id"] as? String ?? "" }
        #expect(try receiver.requests().count == 4)

        // The warehouse catches up: user 1 +500 s, user 2 +10 s (under the minimum), user 3 gets rows,
        // user 4 is unchanged.
        _ = try sql(
            db,
            "INSERT INTO LEARNING_TIME VALUES (1, '\(Self.course)', '\(F.enterprise)', '2026-01-10', 500);"
                + "INSERT INTO LEARNING_TIME VALUES (2, '\(Self.course)', '\(F.enterprise)', '2026-01-10', 10);"
                + "INSERT INTO LEARNING_TIME VALUES (3, '\(Self.course)', '\(F.enterprise)', '2026-01-10', 3000);")

        // Without the flag, a refresh sends nothing.
        let (plain, skipped) = try refresh(dir, db, receiver, input)
        #expect(plain.status == 0)
        #expect(skipped.allSatisfy { $0["status"] as? String == "skipped" })
        #expect(try receiver.requests().count == 4)

        // --dry-run lists exactly what would be corrected, and sends nothing.
        let (dry, listed) = try refresh(dir, db, receiver, input, ["--resend-changed", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let corrections = listed.filter { $0["dry_run"] as? Bool == true }
        #expect(corrections.map { $0["line"] as? Int } == [1, 3])
        #expect(corrections.map { $0["id"] as? String } == [ids[0] + "-rev1", ids[2] + "-rev1"])
        #expect(corrections.first?["previous_total_seconds"] as? Int == 100)
        #expect(corrections.first?["total_seconds"] as? Int == 600)
        #expect(corrections.last?["previous_total_seconds"] is NSNull)
        #expect(try receiver.requests().count == 4)

        // Refresh: exactly the changed lines go out, with new ids, marked as revisions.
        let (second, refreshed) = try refresh(dir, db, receiver, input, ["--resend-changed"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(refreshed.map { $0["status"] as? String } == ["delivered", "skipped", "delivered", "skipped"])
        #expect(refreshed[0]["id"] as? String == ids[0] + "-rev1")
        #expect(refreshed[0]["revision"] as? Int == 1)
        #expect(refreshed[0]["revision_of"] as? String == ids[0])
        #expect((refreshed[1]["error"] as? String)?.contains("changed by 10 s, less than --resend-changed=60") == true)
        let requests = try receiver.requests()
        try #require(requests.count == 6)
        let sent = requests.suffix(2).map { $0["headers"] as? [String: String] ?? [:] }
        #expect(Set(sent.map { $0["webhook-id"] ?? "" }) == [ids[0] + "-rev1", ids[2] + "-rev1"])
        #expect(sent.allSatisfy { $0["lt-revision"] == "1" })
        #expect(Set(sent.map { $0["lt-revision-of"] ?? "" }) == [ids[0], ids[2]])
        for r in requests.suffix(2) {
            let body = try JSONSerialization.jsonObject(with: Data((r["body"] as? String ?? "").utf8)) as? [String: Any]
            let lt = body?["learning_time"] as? [String: Any]
            #expect(lt?["revision"] as? Int == 1)
            #expect([600, 3000].contains(lt?["total_seconds"] as? Int ?? 0))
            #expect([ids[0], ids[2]].contains(lt?["revision_of"] as? String ?? ""))
        }
        // Journaled as revisions.
        let journal = try sql(
            dir.file("sent.journal"),
            "SELECT id, revision, coalesce(revision_of, '-'), coalesce(total_seconds, '-') "
                + "FROM delivered ORDER BY id")
        #expect(journal.contains("\(ids[0])|1|-|600"), "\(journal)")
        #expect(journal.contains("\(ids[0])-rev1|1|\(ids[0])|600"), "\(journal)")
        #expect(journal.contains("\(ids[2])|1|-|3000"), "\(journal)")

        // Refresh again: nothing is sent.
        let (third, again) = try refresh(dir, db, receiver, input, ["--resend-changed"])
        #expect(third.status == 0)
        #expect(again.allSatisfy { $0["status"] as? String == "skipped" }, "\(again)")
        #expect(try receiver.requests().count == 6)

        // A lower minimum takes the small change; a further change is revision 2.
        _ = try sql(db, "INSERT INTO LEARNING_TIME VALUES (1, '\(Self.course)', '\(F.enterprise)', '2026-01-11', 100);")
        let (fourth, more) = try refresh(dir, db, receiver, input, ["--resend-changed=5"])
        #expect(fourth.status == 0, "\(fourth.stderr)")
        #expect(more.map { $0["id"] as? String } == [ids[0] + "-rev2", ids[1] + "-rev1", ids[2], ids[3]])
        #expect(more.map { $0["status"] as? String } == ["delivered", "delivered", "skipped", "skipped"])
        #expect(try receiver.requests().count == 8)
    }

    /// The correction end to end on the test command's PostgreSQL server: deliver; the warehouse
    /// changes (user 1 +500 s, user 3 gets rows, user 2 unchanged); a refresh with
    /// --resend-changed sends exactly lines 1 and 3, with new ids; a second refresh sends nothing.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aCorrectionEndToEndOnPostgres() throws {
        let pg = try Services.postgres()
        let dir = try Workdir()
        let schema = try LtQueryPostgresTests.Schema(
            pg, rows: [(1, Self.course, F.enterprise, 100), (2, Self.course, F.enterprise, 200)])
        let receiver = try Receiver(in: dir)
        let input = (1...3).map { Self.completion($0) }.joined(separator: "\n") + "\n"
        func refresh(_ extra: [String] = []) throws -> (ToolOutput, [[String: Any]]) {
            let out = try Tool.shell(
                """
                lt-query --warehouse "$0" --table "$1" --no-cache --flag on | lt-enrich --flag on \
                  | lt-send --url "$2" --allow-http --allow-private --journal "$3" "${@:4}"
                """, args: [pg, schema.table, receiver.url(), dir.file("sent.journal")] + extra, stdin: input)
            return (out, try out.records().sorted { ($0["line"] as? Int ?? 0) < ($1["line"] as? Int ?? 0) })
        }

        let (first, delivered) = try refresh()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(delivered.map { $0["status"] as? String } == ["delivered", "delivered", "delivered"])
        let ids = delivered.map { $0["id"] as? String ?? "" }
        try #require(try receiver.requests().count == 3)

        try schema.psql(
            "INSERT INTO \(schema.table) VALUES (1, '\(Self.course)', '\(F.enterprise)', '2026-02-10', 500), "
                + "(3, '\(Self.course)', '\(F.enterprise)', '2026-02-10', 3000);")

        let (second, refreshed) = try refresh(["--resend-changed"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(refreshed.map { $0["status"] as? String } == ["delivered", "skipped", "delivered"])
        #expect(refreshed.map { $0["id"] as? String } == [ids[0] + "-rev1", ids[1], ids[2] + "-rev1"])
        let requests = try receiver.requests()
        try #require(requests.count == 5)
        let sent = requests.suffix(2).map { $0["headers"] as? [String: String] ?? [:] }
        #expect(Set(sent.map { $0["webhook-id"] ?? "" }) == [ids[0] + "-rev1", ids[2] + "-rev1"])
        #expect(Set(sent.map { $0["lt-revision-of"] ?? "" }) == [ids[0], ids[2]])
        let totals = try requests.suffix(2).map { r in
            let body = try JSONSerialization.jsonObject(with: Data((r["body"] as? String ?? "").utf8)) as? [String: Any]
            return (body?["learning_time"] as? [String: Any])?["total_seconds"] as? Int ?? 0
        }
        #expect(Set(totals) == [600, 3000])

        let (third, again) = try refresh(["--resend-changed"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(again.allSatisfy { $0["status"] as? String == "skipped" }, "\(again)")
        #expect(try receiver.requests().count == 5)
    }

    @Test func aJournalOfAnEarlierVersionIsMigratedAndNotCorrected() throws {
        let dir = try Workdir()
        let journal = dir.file("sent.journal")
        _ = try sql(
            journal,
            "PRAGMA application_id = \(0x6C74_6A72); CREATE TABLE scopes (scope INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                + "CREATE TABLE delivered (scope INTEGER NOT NULL, id TEXT NOT NULL, delivered_at_ms INTEGER NOT NULL, "
                + "PRIMARY KEY (scope, id)) WITHOUT ROWID;")
        let db = try dir.sqliteWarehouse(Self.schema + Self.row(1, "2026-01-09", 100))
        let receiver = try Receiver(in: dir)
        let (first, one) = try refresh(dir, db, receiver, Self.completion(1) + "\n")
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(one.first?["id"] as? String)
        // An entry written before corrections were journaled: there is nothing to compare with.
        _ = try sql(journal, "UPDATE delivered SET digest = NULL, total_seconds = NULL")
        _ = try sql(db, "INSERT INTO LEARNING_TIME VALUES (1, '\(Self.course)', '\(F.enterprise)', '2026-01-10', 900);")
        let (second, again) = try refresh(dir, db, receiver, Self.completion(1) + "\n", ["--resend-changed"])
        #expect(second.status == 0)
        #expect(again.first?["status"] as? String == "skipped")
        #expect((again.first?["error"] as? String)?.contains("nothing to compare with") == true)
        #expect(try receiver.requests().count == 1)
        #expect(try sql(journal, "SELECT id FROM delivered") == id + "\n")
    }

    @Test func resendChangedNeedsTheJournal() throws {
        let out = try Tool.run("lt-send", ["--url", "http://127.0.0.1:9/x", "--resend-changed=30"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--resend-changed needs --journal"), "\(out.stderr)")
    }
}
