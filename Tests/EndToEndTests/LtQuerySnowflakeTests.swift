import Foundation
import Testing

/// lt-query against a Snowflake SQL API stand-in on 127.0.0.1 (snowduck behind a PyJWT check
/// of the key-pair token, scripts/snowflake-standin.py).
@Suite struct LtQuerySnowflakeTests {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    static let seed = """
        CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255), ENTERPRISE_CUSTOMER_UUID VARCHAR(36), DATE DATE, LEARNING_TIME_SECONDS INTEGER);
        INSERT INTO LEARNING_TIME VALUES
          (12345, 'course-v1:edX+DemoX+Demo_Course', '\(enterprise)', '2026-01-05', 7200),
          (12345, 'course-v1:edX+DemoX+Demo_Course', '\(enterprise)', '2026-01-07', 5400),
          (12345, 'course-v1:edX+DemoX+Demo_Course', '\(enterprise)', '2026-01-09', 5940),
          (23456, 'course-v1:O''Reilly+SQL;--+2026', '\(enterprise)', '2026-02-01', 90),
          (34567, 'course-v1:edX+DemoX+Demo_Course', '\(enterprise)', '2026-02-01', 3600),
          (45678, 'course-v1:edX+DemoX+Demo_Course', '\(enterprise)', '2026-02-01', 18);

        """

    /// A running stand-in with its own key pair; stopped when released.
    final class StandIn {
        let dir: Workdir
        let process = Process()
        let port: Int
        let record: String
        let issuer: String
        let subject = "XY12345.LT_SERVICE"

        /// `extra` passes on the stand-in's further options (`--latency`, `--fail-every`, `--defect`).
        init(
            python: String, partitionSize: Int = 10000, seed: String = LtQuerySnowflakeTests.seed,
            extra: [String] = []
        ) throws {
            dir = try Workdir()
            let keys = try Tool.shell(
                """
                set -e
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.p8 2>/dev/null
                openssl pkey -in key.p8 -pubout -out pub.pem
                openssl pkey -pubin -in pub.pem -outform DER | openssl dgst -sha256 -binary | base64
                """, cwd: dir.path)
            guard keys.status == 0 else { throw TestFailure("openssl: \(keys.stderr)") }
            // The fingerprint computed by openssl, independently of lt-query's own.
            issuer = "\(subject).SHA256:\(keys.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"
            try dir.write("seed.sql", seed)
            record = dir.file("requests.ndjson")
            let portFile = dir.file("port")
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments =
                [
                    Tool.packageRoot + "/scripts/snowflake-standin.py", "--port-file", portFile, "--record", record,
                    "--public-key", dir.file("pub.pem"), "--issuer", issuer, "--subject", subject,
                    "--partition-size", String(partitionSize), "--seed", dir.file("seed.sql"),
                ] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: portFile) {
                guard process.isRunning, Date() < deadline else {
                    throw TestFailure("the Snowflake stand-in did not start")
                }
                usleep(20_000)
            }
            port = Int(try String(contentsOfFile: portFile, encoding: .utf8))!
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var address: String {
            "snowflake://xy12345.us-east-2.aws/PROD/BUSINESS_INTELLIGENCE?warehouse=LT_WH&role=LT_READER&user=lt_service&host=http://127.0.0.1:\(port)"
        }

        var env: [String: String] { ["SNOWFLAKE_PRIVATE_KEY_PATH": dir.file("key.p8")] }

        func requests() throws -> [[String: Any]] {
            try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    func completion(_ user: Int, _ course: String) -> String {
        let c = course.replacingOccurrences(of: "\"", with: "\\\"")
        return
            #"{"user":{"id":\#(user)},"course":{"course_id":"\#(c)"},"completion":{},"enterprise":{"enterprise_customer_uuid":"\#(Self.enterprise)"}}"#
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote)) func foundTotalsNoRowsAndTheSignedToken() throws
    {
        let python = try Services.snowflakePython()
        let sf = try StandIn(python: python)
        let input =
            [
                completion(12345, "course-v1:edX+DemoX+Demo_Course"),
                completion(23456, "course-v1:O'Reilly+SQL;--+2026"),
                completion(99999, "course-v1:edX+DemoX+Demo_Course"),
            ].joined(separator: "\n") + "\n"
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--no-cache", "--flag", "on"], stdin: input, env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        let lookups = try out.records().map { $0["lookup"] as! [String: Any] }
        try #require(lookups.count == 3)
        #expect(lookups[0]["status"] as? String == "found")
        #expect(lookups[0]["total_seconds"] as? Int == 18540)
        #expect(lookups[1]["total_seconds"] as? Int == 90)
        #expect(lookups[2]["status"] as? String == "not_found")
        let requests = try sf.requests()
        #expect(!requests.isEmpty)
        for r in requests {
            #expect(r["jwt"] as? String == "valid", "token rejected: \(r["jwt"] ?? "")")
            #expect(r["token_type"] as? String == "KEYPAIR_JWT")
            #expect((r["user_agent"] as? String)?.hasPrefix("lt-query/") == true)
            let claims = r["claims"] as? [String: Any]
            #expect(claims?["iss"] as? String == sf.issuer)
            #expect(claims?["sub"] as? String == sf.subject)
        }
        // One statement for the whole batch, values bound, never spliced into the SQL.
        let statements = requests.filter { $0["body"] != nil && ($0["query"] as? String ?? "").contains("requestId=") }
        let body = try #require(statements.last?["body"] as? [String: Any])
        #expect((body["statement"] as? String)?.contains("O'Reilly") == false)
        #expect((body["bindings"] as? [String: Any])?.count == 9)
        #expect(body["warehouse"] as? String == "LT_WH")
        #expect(body["role"] as? String == "LT_READER")
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote)) func resultsOverSeveralPartitions() throws {
        let python = try Services.snowflakePython()
        let sf = try StandIn(python: python, partitionSize: 1)
        let input =
            [
                completion(12345, "course-v1:edX+DemoX+Demo_Course"),
                completion(34567, "course-v1:edX+DemoX+Demo_Course"),
                completion(45678, "course-v1:edX+DemoX+Demo_Course"),
            ].joined(separator: "\n") + "\n"
        // A window longer than the run: the three keys go as one statement when the input ends.
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--no-cache", "--flag", "on", "--batch-window", "60s"],
            stdin: input,
            env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        let totals = try out.records().map { ($0["lookup"] as! [String: Any])["total_seconds"] as? Int }
        #expect(totals == [18540, 3600, 18])
        let partitionGets = try sf.requests().filter { ($0["query"] as? String ?? "").contains("partition=") }
        #expect(partitionGets.count == 2)
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func aSQLErrorIsAConfigurationErrorWithSnowflakesMessage() throws {
        let python = try Services.snowflakePython()
        let sf = try StandIn(python: python)
        let out = try Tool.run(
            "lt-query",
            [
                "--warehouse", sf.address, "--table", "PROD.BUSINESS_INTELLIGENCE.NO_SUCH_TABLE",
                "--no-cache", "--flag", "on",
            ],
            stdin: completion(12345, "course-v1:edX+DemoX+Demo_Course") + "\n", env: sf.env)
        #expect(out.status == 2)
        #expect(out.stderr.contains("NO_SUCH_TABLE"))
    }

    @Test func aServerThatIsDownGivesUnavailableLinesNotAFailure() throws {
        // A port that was just free: nothing listens there.
        let probe = try Tool.shell(
            "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'")
        let port = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let dir = try Workdir()
        _ = try Tool.shell(
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.p8 2>/dev/null", cwd: dir.path)
        let address = "snowflake://acct/PROD/BUSINESS_INTELLIGENCE?user=lt&host=http://127.0.0.1:\(port)"
        let out = try Tool.run(
            "lt-query",
            ["--warehouse", address, "--no-cache", "--flag", "on", "--retries", "1", "--retry-delay", "10ms"],
            stdin: completion(12345, "course-v1:edX+DemoX+Demo_Course") + "\n",
            env: ["SNOWFLAKE_PRIVATE_KEY_PATH": dir.file("key.p8")])
        let records = try out.records()
        try #require(records.count == 1)
        #expect((records[0]["lookup"] as? [String: Any])?["status"] as? String == "unavailable")
    }

    @Test func explainShowsTheStatementAndBindings() throws {
        let dir = try Workdir()
        _ = try Tool.shell(
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.p8 2>/dev/null", cwd: dir.path)
        let out = try Tool.run(
            "lt-query",
            [
                "--warehouse", "snowflake://acct/PROD/BI?user=lt", "--explain", "--user", "12345",
                "--course", "course-v1:edX+DemoX+Demo_Course", "--enterprise", Self.enterprise,
            ],
            env: ["SNOWFLAKE_PRIVATE_KEY_PATH": dir.file("key.p8")])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("/api/v2/statements"))
        #expect(out.stdout.contains("\"bindings\""))
        #expect(out.stdout.contains("\"value\":\"12345\""))
        #expect(out.stdout.contains("JOIN (VALUES (?, ?, ?))"))
    }
}
