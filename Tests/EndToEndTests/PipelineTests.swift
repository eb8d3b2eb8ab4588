import Foundation
import Testing

/// The three tools in real pipes, on the embedded SQLite warehouse, against a real HTTP receiver.
@Suite struct PipelineTests {
    static let warehouseSQL =
        (try? String(contentsOfFile: Tool.packageRoot + "/examples/warehouse.sql", encoding: .utf8)) ?? ""
    static let completion = """
        {"user": {"id": 12345, "email": "learner@example.com", "username": "learner_user"}, "course": {"course_id": "course-v1:edX+DemoX+Demo_Course", "course_name": "edX Demo Course"}, "completion": {"completion_date": "2026-01-10T15:30:00Z", "percent_grade": 0.92, "letter_grade": "A", "is_passing": true}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "enterprise_customer_name": "Demo Corp"}}
        """

    @Test func badLineIsRejectedAndGoodLineDelivered() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(Self.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let out = try Tool.shell(
            """
            printf 'not json\\n%s\\n' "$1" | lt-query --warehouse "sqlite:$2" --no-cache --flag on \
              | lt-enrich --flag on | lt-send --url "$3" --allow-http --allow-private --dead-letter "$4"
            """, args: ["", Self.completion, db, receiver.url(), dir.file("dead.ndjson")])
        #expect(out.status == 1)
        let results = try out.records()
        try #require(results.count == 2)
        #expect(results[0]["status"] as? String == "rejected")
        #expect(results[0]["line"] as? Int == 1)
        let error = try #require(results[0]["error"] as? String)
        #expect(error.contains("<stdin>:1"))
        #expect(error.contains("not valid JSON"))
        #expect(results[1]["status"] as? String == "delivered")
        #expect(results[1]["learning_time"] as? Bool == true)
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        let body = try JSONSerialization.jsonObject(with: Data((requests[0]["body"] as! String).utf8)) as! [String: Any]
        let lt = try #require(body["learning_time"] as? [String: Any])
        #expect(lt["total_seconds"] as? Int == 18540)
        #expect(lt["total_hours"] as? Double == 5.15)
        // The dead-letter file holds the rejected line as lt-send received it.
        let dead = dir.read("dead.ndjson").split(separator: "\n")
        #expect(dead.count == 1)
        #expect(dead.first?.contains("\"input\":\"not json\"") == true)
    }

    @Test func examplesDeliverCompletionsEnrichedAndEnrollmentsUnchanged() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(Self.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let examples = Tool.packageRoot + "/examples/completions.ndjson"
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --cache-dir "$2" < "$3" | lt-enrich | lt-send --url "$4" --allow-http --allow-private
            """, args: ["", db, dir.file("cache"), examples, receiver.url()],
            env: ["ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT": "true"])
        #expect(out.status == 0, "\(out.stderr)")
        let inputs = try String(contentsOfFile: examples, encoding: .utf8).split(separator: "\n")
        let requests = try receiver.requests()
        #expect(try out.records().count == inputs.count)
        #expect(requests.count == inputs.count)
        // lt-send delivers concurrently: match each input with the request carrying its payload.
        func identity(_ p: [String: Any]) -> String {
            let user = (p["user"] as? [String: Any])?["id"] as? Int ?? 0
            let course = (p["course"] as? [String: Any])?["course_id"] as? String ?? ""
            return "\(user) \(course) \(p["completion"] != nil)"
        }
        var sentByIdentity: [String: (String, [String: Any])] = [:]
        for request in requests {
            let body = request["body"] as! String
            let sent = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
            sentByIdentity[identity(sent)] = (body, sent)
        }
        for input in inputs {
            let original = try JSONSerialization.jsonObject(with: Data(input.utf8)) as! [String: Any]
            let payload = (original["payload"] as? [String: Any]) ?? original
            let (body, sent) = try #require(sentByIdentity[identity(payload)], "not delivered: \(input.prefix(100))")
            if payload["completion"] != nil {
                #expect(sent["learning_time"] != nil, "completion sent without learning_time: \(body.prefix(120))")
            } else {
                // Enrollments go out byte for byte as they came.
                #expect(sent["learning_time"] == nil)
                if original["payload"] == nil { #expect(body == String(input)) }
            }
        }
    }

    @Test func flagOffSendsPayloadsUntouched() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(Self.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let out = try Tool.shell(
            """
            printf '%s\\n' "$1" | lt-query --warehouse "sqlite:$2" --no-cache | lt-enrich | lt-send --url "$3" --allow-http --allow-private
            """, args: ["", Self.completion, db, receiver.url()])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("enrichment is off"))
        let requests = try receiver.requests()
        #expect(requests.first?["body"] as? String == Self.completion)
    }

    @Test func everyToolExplainsItselfAndHasAVersion() throws {
        for tool in ["lt-query", "lt-enrich", "lt-send"] {
            let help = try Tool.run(tool, ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Example"), "\(tool) --help has no example")
            let version = try Tool.run(tool, ["--version"])
            #expect(version.stdout.hasPrefix("\(tool) 0."))
        }
    }

    @Test func usageErrorsExit64() throws {
        #expect(try Tool.run("lt-send", []).status == 64)
        #expect(try Tool.run("lt-query", ["--batch-size", "0", "--warehouse", "sqlite:x"]).status == 64)
    }

    @Test func missingWarehouseNamesBothWaysToSetIt() throws {
        let out = try Tool.run("lt-query", [], stdin: Self.completion + "\n")
        #expect(out.status == 2)
        #expect(out.stderr.contains("--warehouse"))
        #expect(out.stderr.contains("LT_WAREHOUSE"))
    }

    @Test func closedOutputPipeEndsQuietly() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(Self.warehouseSQL)
        let out = try Tool.shell(
            """
            set -o pipefail
            yes "$1" | head -n 100000 | lt-query --warehouse "sqlite:$2" --no-cache --flag on | head -n 1 >/dev/null
            echo "status ${PIPESTATUS[2]}"
            """, args: ["", Self.completion, db])
        #expect(out.stdout.contains("status 0"))
        #expect(!out.stderr.contains("lt-query"))
    }
}
