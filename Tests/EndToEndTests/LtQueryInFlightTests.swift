import Foundation
import Testing

/// Several batch statements in flight at once: the Snowflake stand-in holding each statement and
/// failing some, and PostgreSQL behind a proxy that delays every round trip (scripts/delay-proxy.py).
/// Lines come out in input order with the right totals, and the warehouse really had several
/// statements at once (counted by the stand-in and by the proxy, not timed).
@Suite struct LtQueryInFlightTests {
    typealias F = LtQueryFixture
    static let course = "course-v1:edX+InFlight+2026"

    /// The total each user has: users that are multiples of 5 have no rows.
    static func total(_ user: Int) -> Int? { user % 5 == 0 ? nil : user * 10 + 7 }

    /// Rows for users 1…`users`: two per user with rows, summing to ``total(_:)``.
    static func rows(_ users: Int) -> [(Int64, String, String, Int64?)] {
        var rows: [(Int64, String, String, Int64?)] = []
        for u in 1...users {
            guard let t = total(u) else { continue }
            rows.append((Int64(u), course, F.enterprise, Int64(t - 7)))
            rows.append((Int64(u), course, F.enterprise, 7))
        }
        return rows
    }

    /// Each user twice, in shuffled order, with a line that is not a completion now and then.
    static func input(_ users: Int) -> [Int?] {
        var rng = SystemRandomNumberGenerator()
        var order: [Int?] = (Array(1...users) + Array(1...users)).shuffled(using: &rng).map { $0 }
        for i in stride(from: 7, to: order.count, by: 17) { order.insert(nil, at: i) }
        return order
    }

    static func lines(_ order: [Int?]) -> String {
        order.map { u in u.map { F.completion(user: $0, course: course) } ?? #"{"event":"page_view"}"# }
            .joined(separator: "\n") + "\n"
    }

    /// Every output line belongs to the input line in its place and carries that user's total.
    static func expectInOrderWithTotals(_ out: ToolOutput, _ order: [Int?]) throws {
        let records = try out.records()
        try #require(records.count == order.count, "\(out.stderr)")
        for (record, user) in zip(records, order) {
            let lookup = record["lookup"] as? [String: Any] ?? [:]
            let payload = record["payload"] as? [String: Any] ?? record
            guard let user else {
                #expect(lookup["status"] as? String == "skipped")
                continue
            }
            #expect((payload["user"] as? [String: Any])?["id"] as? Int == user, "line out of order")
            if let t = total(user) {
                #expect(lookup["status"] as? String == "found", "user \(user): \(lookup)")
                #expect(lookup["total_seconds"] as? Int == t, "user \(user): \(lookup)")
            } else {
                #expect(lookup["status"] as? String == "not_found", "user \(user): \(lookup)")
            }
        }
    }

    // MARK: Snowflake

    static func snowflakeSeed(_ users: Int) -> String {
        """
        CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255),
          ENTERPRISE_CUSTOMER_UUID VARCHAR(36), DATE DATE, LEARNING_TIME_SECONDS INTEGER);
        INSERT INTO LEARNING_TIME VALUES \(values(users));

        """
    }

    static func values(_ users: Int) -> String {
        rows(users).map { "(\($0.0), '\($0.1)', '\($0.2)', '2026-02-01', \($0.3!))" }.joined(separator: ", ")
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func snowflakeStatementsInFlightKeepInputOrderThroughInjectedFailures() throws {
        let python = try Services.snowflakePython()
        let users = 32
        let sf = try LtQuerySnowflakeTests.StandIn(
            python: python, seed: Self.snowflakeSeed(users),
            extra: ["--latency", "0.2", "--fail-every", "3"])
        let order = Self.input(users)
        let options = [
            "--no-cache", "--flag", "on", "--batch-size", "4", "--max-statements", "6",
            "--batch-window", "1ms", "--retry-delay", "10ms",
        ]
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address] + options, stdin: Self.lines(order), env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        try Self.expectInOrderWithTotals(out, order)
        let submissions = try sf.requests().filter { $0["body"] != nil }
        // Several statements were in the stand-in at once, never more than allowed.
        let concurrent = submissions.compactMap { $0["concurrent"] as? Int }
        #expect((concurrent.max() ?? 0) >= 2)
        #expect((concurrent.max() ?? 0) <= 6)
        // Every statement answered 503 went again with its own requestId and retry=true.
        let injected = submissions.filter { $0["injected"] as? Bool == true }
        #expect(!injected.isEmpty)
        func requestID(_ r: [String: Any]) -> String? {
            (r["query"] as? String)?.split(separator: "&").first { $0.hasPrefix("requestId=") }.map(String.init)
        }
        for failed in injected {
            let again = submissions.filter {
                requestID($0) == requestID(failed) && ($0["query"] as? String ?? "").contains("retry=true")
            }
            #expect(again.count == 1, "\(failed["query"] ?? "")")
        }
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote), arguments: ["no-data", "row-count"])
    func aSpoiledSnowflakeAnswerIsUnavailableAndNotCached(defect: String) throws {
        let python = try Services.snowflakePython()
        let sf = try LtQuerySnowflakeTests.StandIn(python: python, extra: ["--defect", defect])
        let cache = try Workdir()
        let key = "learning_time:12345:course-v1:edX+DemoX+Demo_Course:\(F.enterprise)"
        let input =
            F.completion(user: 12345, course: "course-v1:edX+DemoX+Demo_Course") + "\n"
            + F.completion(user: 99999, course: "course-v1:edX+DemoX+Demo_Course") + "\n"
        let out = try Tool.run(
            "lt-query",
            [
                "--warehouse", sf.address, "--cache-dir", cache.path, "--flag", "on",
                "--retries", "1", "--retry-delay", "10ms",
            ], stdin: input, env: sf.env)
        #expect(out.status == 1)
        let lookups = try F.lookups(out)
        try #require(lookups.count == 2)
        for l in lookups {
            #expect(l["status"] as? String == "unavailable", "\(l)")
        }
        #expect(out.stderr.contains(defect == "no-data" ? "without data" : "rows"), "\(out.stderr)")
        let shown = try Tool.run("lt-query", ["--cache-dir", cache.path, "--cache-show", key], env: sf.env)
        #expect(try shown.records().first?["cached"] as? Bool == false, "\(shown.stdout)")
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func rejectedSnowflakeCredentialsEndTheRunBeforeAnyLine() throws {
        let python = try Services.snowflakePython()
        let sf = try LtQuerySnowflakeTests.StandIn(python: python)
        let other = try Workdir()
        _ = try Tool.shell(
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.p8 2>/dev/null",
            cwd: other.path)
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--no-cache", "--flag", "on"],
            stdin: F.completion(user: 12345, course: "course-v1:edX+DemoX+Demo_Course") + "\n",
            env: ["SNOWFLAKE_PRIVATE_KEY_PATH": other.file("key.p8")])
        #expect(out.status == 2)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("refused the credentials"), "\(out.stderr)")
        #expect(out.stderr.contains("RSA_PUBLIC_KEY"))
    }

    // MARK: PostgreSQL

    /// scripts/delay-proxy.py in front of the test's PostgreSQL server; stopped when released.
    final class DelayProxy {
        let process = Process()
        let dir: Workdir
        let conninfo: String

        init(_ target: String, delay: Double, extra: [String] = []) throws {
            dir = try Workdir()
            func value(_ name: String) -> String? {
                target.split(separator: " ").first { $0.hasPrefix(name + "=") }
                    .map { String($0.dropFirst(name.count + 1)) }
            }
            let host = value("host") ?? "127.0.0.1"
            let port = value("port") ?? "5432"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                [
                    "python3", Tool.packageRoot + "/scripts/delay-proxy.py", "--target", "\(host):\(port)",
                    "--delay", String(delay), "--port-file", dir.file("port"),
                    "--pg-stats", dir.file("stats.json"),
                ] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let portFile = dir.file("port")
            try awaitCondition { FileManager.default.fileExists(atPath: portFile) }
            let proxyPort = try String(contentsOfFile: portFile, encoding: .utf8)
            conninfo = target + " host=127.0.0.1 port=\(proxyPort) sslmode=disable gssencmode=disable"
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var stats: [String: Any] {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: dir.file("stats.json")))) ?? Data()
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        }
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func postgresQueriesPipelinedBehindADelayKeepInputOrder() throws {
        let pg = try Services.postgres()
        let users = 60
        let schema = try LtQueryPostgresTests.Schema(pg, rows: Self.rows(users))
        let proxy = try DelayProxy(pg, delay: 0.03)
        let order = Self.input(users)
        let out = try Tool.run(
            "lt-query",
            [
                "--warehouse", proxy.conninfo, "--table", schema.table, "--no-cache",
                "--flag", "on", "--batch-size", "5", "--max-statements", "4",
                "--batch-window", "1ms",
            ], stdin: Self.lines(order))
        #expect(out.status == 0, "\(out.stderr)")
        try Self.expectInOrderWithTotals(out, order)
        let inFlight = proxy.stats["max_in_flight"] as? Int ?? 0
        #expect(inFlight >= 2, "\(proxy.stats)")
        #expect(inFlight <= 4, "\(proxy.stats)")
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aPostgresConnectionLostWithQueriesInFlightIsRetried() throws {
        let pg = try Services.postgres()
        let users = 60
        let schema = try LtQueryPostgresTests.Schema(pg, rows: Self.rows(users))
        // The first connection is cut once its start-up and a few batches are on the wire.
        let proxy = try DelayProxy(pg, delay: 0.02, extra: ["--drop-after-syncs", "4"])
        let order = Self.input(users)
        let out = try Tool.run(
            "lt-query",
            [
                "--warehouse", proxy.conninfo, "--table", schema.table, "--no-cache",
                "--flag", "on", "--batch-size", "5", "--max-statements", "4",
                "--batch-window", "1ms", "--retry-delay", "10ms",
            ], stdin: Self.lines(order))
        #expect(out.status == 0, "\(out.stderr)")
        try Self.expectInOrderWithTotals(out, order)
        #expect(proxy.stats["connections"] as? Int ?? 0 >= 2, "\(proxy.stats)")
        #expect(out.stderr.contains("retrying"), "\(out.stderr)")
    }
}
