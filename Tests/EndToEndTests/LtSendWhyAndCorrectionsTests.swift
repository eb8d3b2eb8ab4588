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
        let rollout = try dir.write(
            "rollout.json", #"{"enabled": true, "percent": 100, "enterprises_out": ["\#(F.otherEnterprise)"]}"#)
        let receiver = try Receiver(in: dir)
        let input = [Self.completion(1), Self.completion(2), Self.completion(3, enterprise: F.otherEnterprise)]
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$0" --no-cache --rollout "$1" | lt-enrich --rollout "$1" \
              | lt-send --url "$2" --allow-http --allow-private --attempts "$3"
            """, args: [db, rollout, receiver.url(), dir.file("attempts.ndjson")],
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
}
