import Foundation
import Testing

/// lt-query at the latency bound (issue 26): keys spread evenly over the free statement slots, the
/// start-up probe running alongside the first batches with output held until its verdict, and
/// warehouse latency that a paused reader does not inflate. Against the snowduck stand-in and the
/// real PostgreSQL server, on loopback; nothing here is timed by the test.
@Suite struct LtQueryLatencyBoundTests {
    typealias F = LtQueryFixture
    typealias InFlight = LtQueryInFlightTests

    /// The statements the stand-in received: the probe (no bindings) apart, keys per batch statement.
    static func statements(_ sf: LtQuerySnowflakeTests.StandIn) throws -> (probes: [[String: Any]], sizes: [Int]) {
        let submissions = try sf.requests().compactMap { r -> [String: Any]? in
            guard let body = r["body"] as? [String: Any] else { return nil }
            var r = r
            r["keys"] = ((body["bindings"] as? [String: Any])?.count ?? 0) / 3
            return r
        }
        let probes = submissions.filter { ($0["keys"] as? Int) == 0 }
        return (probes, submissions.compactMap { $0["keys"] as? Int }.filter { $0 > 0 })
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func keysBeyondOneStatementAreSpreadEvenlyOverTheFreeSlots() throws {
        let python = try Services.snowflakePython()
        let users = 25
        let sf = try LtQuerySnowflakeTests.StandIn(python: python, seed: InFlight.snowflakeSeed(users))
        let order: [Int?] = Array(1...users)
        // A window longer than the run: statements go when the input ends, as a burst does.
        let options = [
            "--no-cache", "--flag", "on", "--batch-size", "10", "--max-statements", "4", "--batch-window", "60s",
        ]
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address] + options, stdin: InFlight.lines(order), env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        try InFlight.expectInOrderWithTotals(out, order)
        let (probes, sizes) = try Self.statements(sf)
        #expect(probes.count == 1)
        // 25 keys, at most 10 a statement: 3 or 4 statements (as the probe holds a slot or not) of
        // sizes differing by one at most, not 10 + 10 + 5.
        #expect(sizes.reduce(0, +) == users)
        #expect(sizes.count >= 3 && sizes.count <= 4, "\(sizes)")
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
        #expect(sizes.max()! <= 10)
    }

    /// Keys read from a file (always readable) with a window of zero: the window passes at every
    /// key, but while more input is readable only full statements go, so slots are not taken by
    /// part-full ones. Part-full statements come only at the end of the input: its keys spread
    /// over the free slots (at most `--max-statements`), or one last statement.
    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func whileInputIsReadableOnlyFullStatementsGo() throws {
        let python = try Services.snowflakePython()
        let users = 120
        let sf = try LtQuerySnowflakeTests.StandIn(python: python, seed: InFlight.snowflakeSeed(users))
        let order: [Int?] = Array(1...users)
        let dir = try Workdir()
        let input = try dir.write("in.ndjson", InFlight.lines(order))
        let options = [
            "--no-cache", "--flag", "on", "--batch-size", "10", "--max-statements", "4", "--batch-window", "0ms",
        ]
        let out = try Tool.run("lt-query", ["--warehouse", sf.address] + options + [input], env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        try InFlight.expectInOrderWithTotals(out, order)
        let (_, sizes) = try Self.statements(sf)
        #expect(sizes.reduce(0, +) == users)
        #expect(sizes.max()! <= 10)
        #expect(sizes.filter { $0 < 10 }.count <= 4, "part-full statements while input was readable: \(sizes)")
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func theProbeRunsAlongsideTheFirstBatchAndAdHocIsOneStatement() throws {
        let python = try Services.snowflakePython()
        let users = 6
        // Each submission held 0.5 s: the first batch arrives while the probe is still held.
        let sf = try LtQuerySnowflakeTests.StandIn(
            python: python, seed: InFlight.snowflakeSeed(users), extra: ["--latency", "0.5"])
        let order: [Int?] = [nil] + Array(1...users)
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--no-cache", "--flag", "on", "--batch-window", "1ms"],
            stdin: InFlight.lines(order), env: sf.env)
        #expect(out.status == 0, "\(out.stderr)")
        try InFlight.expectInOrderWithTotals(out, order)
        let submissions = try sf.requests().filter { $0["body"] != nil }
        try #require(submissions.count >= 2)
        let first = submissions[0]["body"] as? [String: Any] ?? [:]
        #expect((first["statement"] as? String ?? "").contains("LIMIT 0"), "the probe goes first: \(first)")
        #expect(submissions[1]["concurrent"] as? Int == 2, "the first batch went while the probe was out")

        // An ad-hoc lookup sends one statement: its own, no probe.
        let before = submissions.count
        let adHoc = try Tool.run(
            "lt-query",
            [
                "--warehouse", sf.address, "--no-cache", "--user", "3", "--course", InFlight.course, "--enterprise",
                F.enterprise,
            ],
            env: sf.env)
        #expect(adHoc.status == 0, "\(adHoc.stderr)")
        #expect(adHoc.stdout.contains("\"total_seconds\":\(InFlight.total(3)!)"), "\(adHoc.stdout)")
        #expect(try sf.requests().filter { $0["body"] != nil }.count == before + 1)
    }

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func aMissingSnowflakeTableExitsTwoBeforeAnyLineThoughLinesWereReady() throws {
        let python = try Services.snowflakePython()
        let sf = try LtQuerySnowflakeTests.StandIn(python: python, extra: ["--latency", "0.3"])
        // Lines answered at once (not completions) would be written before any warehouse answer.
        let input =
            String(repeating: #"{"event":"page_view"}"# + "\n", count: 50)
            + F.completion(user: 12345, course: "course-v1:edX+DemoX+Demo_Course") + "\n"
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--table", "NO_SUCH_TABLE", "--no-cache", "--flag", "on"],
            stdin: input, env: sf.env)
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stdout.isEmpty, "\(out.stdout.prefix(200))")
        #expect(out.stderr.contains("NO_SUCH_TABLE"), "\(out.stderr)")
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aMissingPostgresTableExitsTwoBeforeAnyLineThoughLinesWereReady() throws {
        let pg = try Services.postgres()
        let input =
            String(repeating: #"{"event":"page_view"}"# + "\n", count: 50)
            + F.completion(user: 12345, course: "course-v1:edX+DemoX+Demo_Course") + "\n"
        let out = try Tool.run(
            "lt-query", ["--warehouse", pg, "--table", "no_such_schema.no_such_table", "--no-cache", "--flag", "on"],
            stdin: input)
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stdout.isEmpty, "\(out.stdout.prefix(200))")
        #expect(out.stderr.contains("no_such_table"), "\(out.stderr)")
    }

    /// lt-query's output is left unread until lt-query reports (in its periodic `--stats`) that it
    /// has been blocked on the full pipe for over a second; then everything is read. The warehouse
    /// (behind a proxy that delays each answer 50 ms, so that statements are still out when the
    /// output blocks) answers well within that second, so every statement's latency must stay
    /// below it: answers are collected while the output waits, not when the reader comes back.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aPausedReaderDoesNotInflateWarehouseLatency() throws {
        let pg = try Services.postgres()
        let users = 3000
        let schema = try LtQueryPostgresTests.Schema(
            pg, rows: (1...users).map { (Int64($0), InFlight.course, F.enterprise, Int64($0)) })
        let pad = String(repeating: "x", count: 1500)
        let lines = (1...users).map { u in
            #"{"user":{"id":\#(u)},"course":{"course_id":"\#(InFlight.course)"},"completion":{},"#
                + #""enterprise":{"enterprise_customer_uuid":"\#(F.enterprise)"},"pad":"\#(pad)"}"#
        }
        let proxy = try InFlight.DelayProxy(pg, delay: 0.05)
        let tool = try Interactive(
            "lt-query",
            [
                "--warehouse", proxy.conninfo, "--table", schema.table, "--batch-window", "1ms", "--no-cache", "--flag",
                "on", "--batch-size", "25",
                "--max-statements", "4", "--stats=json", "--stats-interval", "100ms",
            ])
        // Fed from another thread: lt-query stops reading once its output backs up.
        let input = tool.inputHandle
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        let writer = Thread {
            try? input.write(contentsOf: data)
            try? input.close()
        }
        writer.start()
        // Nothing is read from stdout until lt-query says it has waited a second for the reader.
        try awaitCondition(seconds: 60) {
            tool.pumpStderr()
            return Self.statsLines(tool.stderr).contains { ($0["output_wait_s"] as? Double ?? 0) >= 1.0 }
        }
        var read = 0
        while read < users {
            _ = try tool.nextLine()
            read += 1
        }
        let (status, stderr) = try tool.finish()
        #expect(status == 0, "\(stderr)")
        let last = try #require(Self.statsLines(stderr).last)
        let latency = last["latency"] as? [String: Any] ?? [:]
        #expect((latency["count"] as? Int ?? 0) >= users / 25)
        #expect((latency["max_ms"] as? Double ?? 1e9) < 1000, "statement latency counted the paused reader: \(last)")
        #expect((last["output_wait_s"] as? Double ?? 0) >= 1.0)
    }

    /// A warehouse that stops answering without closing anything (the proxy in front of PostgreSQL
    /// frozen with SIGSTOP: connections are still accepted by the kernel, and nothing comes back).
    /// The batch out times out once, one reconnection is tried and times out too, and then the
    /// breaker is open: no third attempt and no further connection, every other line `unavailable`.
    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aFrozenWarehouseGetsOneReconnectionThenTheBreakerOpens() throws {
        let pg = try Services.postgres()
        let schema = try LtQueryPostgresTests.Schema(
            pg, rows: (1...9).map { (Int64($0), InFlight.course, F.enterprise, Int64($0)) })
        let proxy = try InFlight.DelayProxy(pg, delay: 0)
        defer { kill(proxy.process.processIdentifier, SIGCONT) }
        let tool = try Interactive(
            "lt-query",
            [
                "--warehouse", proxy.conninfo, "--table", schema.table, "--no-cache", "--flag", "on",
                "--statement-timeout", "1s", "--batch-window", "300ms", "--retry-delay", "10ms", "--stats=json",
            ], env: ["PGCONNECT_TIMEOUT": "2"])
        let first = try tool.ask(F.completion(user: 1, course: InFlight.course))
        #expect(first.contains("\"status\":\"found\""), "\(first)")
        kill(proxy.process.processIdentifier, SIGSTOP)
        // One write, and a window long enough for one batch: one statement out when it freezes.
        try tool.send((2...9).map { F.completion(user: $0, course: InFlight.course) }.joined(separator: "\n"))
        var statuses: [String] = []
        for _ in 2...9 {
            let line = try tool.nextLine(within: 60)
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            statuses.append((record["lookup"] as? [String: Any])?["status"] as? String ?? "")
        }
        // The breaker is open: a further line fails fast, without a connection attempt.
        let later = try tool.ask(F.completion(user: 10, course: InFlight.course))
        #expect(later.contains("--breaker-cooldown"), "\(later)")
        let (status, stderr) = try tool.finish()
        #expect(status == 1, "\(stderr)")
        #expect(statuses == Array(repeating: "unavailable", count: 8), "\(statuses)")
        // One retry (the reconnection), never a third attempt.
        #expect(stderr.components(separatedBy: "retrying in").count - 1 == 1, "\(stderr)")
        #expect(stderr.contains("after 2 attempts"), "\(stderr)")
        #expect(stderr.components(separatedBy: "timeout expired").count - 1 == 1, "one reconnection: \(stderr)")
    }

    static func statsLines(_ stderr: String) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{\"tool\":\"lt-query\"") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}
