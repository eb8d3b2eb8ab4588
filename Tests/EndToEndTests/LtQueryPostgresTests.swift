import Foundation
import Testing

/// lt-query against the real PostgreSQL server the test command starts (Services.postgres()),
/// each test in a schema of its own.
@Suite struct LtQueryPostgresTests {
    typealias F = LtQueryFixture

    /// A schema holding LEARNING_TIME with `rows`, dropped when released.
    final class Schema {
        let conninfo: String
        let name = "lt_q_" + UUID().uuidString.prefix(8).lowercased()
        var table: String { name + ".LEARNING_TIME" }

        init(_ conninfo: String, rows: [(Int64, String, String, Int64?)]) throws {
            self.conninfo = conninfo
            try psql("CREATE SCHEMA \(name); SET search_path = \(name);\n" + F.schema + F.inserts(rows))
        }

        deinit { _ = try? psql("DROP SCHEMA \(name) CASCADE") }

        @discardableResult
        func psql(_ sql: String) throws -> String {
            let out = try Tool.shell("psql \"$0\" -v ON_ERROR_STOP=1 -qAt -f -", args: [conninfo], stdin: sql)
            guard out.status == 0 else { throw TestFailure("psql failed: \(out.stderr)") }
            return out.stdout
        }
    }

    func lookups(_ conninfo: String, _ schema: Schema, _ input: String, _ extra: [String] = []) throws -> (
        ToolOutput, [[String: Any]]
    ) {
        let out = try Tool.run(
            "lt-query", ["--warehouse", conninfo, "--table", schema.table, "--no-cache", "--flag", "on"] + extra,
            stdin: input)
        return (out, try F.lookups(out))
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func totalsMatchPsqlSumsForRandomKeys() throws {
        let pg = try Services.postgres()
        var rng = SystemRandomNumberGenerator()
        let courses = ["course-v1:X+C1", "course-v1:X+C2", #"course-v1:it's "q";%+é"#, "course-v1:\\back"]
        var rows: [(Int64, String, String, Int64?)] = []
        for _ in 0..<1500 {
            rows.append(
                (
                    Int64.random(in: 1...60, using: &rng), courses.randomElement(using: &rng)!,
                    Bool.random(using: &rng) ? F.enterprise : F.otherEnterprise, Int64.random(in: 0...7200, using: &rng)
                ))
        }
        let schema = try Schema(pg, rows: rows)
        // Keys drawn from a wider range than the data, so that some have no rows.
        let keys = (0..<300).map { _ in
            (
                Int64.random(in: 1...90, using: &rng), (courses + ["course-v1:none"]).randomElement(using: &rng)!,
                Bool.random(using: &rng) ? F.enterprise : F.otherEnterprise
            )
        }
        let input = keys.map { F.completion(user: $0.0, course: $0.1, enterprise: $0.2) }.joined(separator: "\n") + "\n"
        let (out, got) = try lookups(pg, schema, input, ["--batch-size", "37"])
        #expect(out.status == 0, "\(out.stderr)")
        try #require(got.count == keys.count)
        let sums = try schema.psql(
            keys.map {
                "SELECT SUM(LEARNING_TIME_SECONDS) FROM \(schema.table) WHERE USER_ID = \($0.0) AND COURSE_KEY = \(F.sqlString($0.1)) AND ENTERPRISE_CUSTOMER_UUID = \(F.sqlString($0.2));"
            }.joined(separator: "\n")
        ).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(sums.count >= keys.count)
        var missing = 0
        for (i, l) in got.enumerated() {
            if sums[i].isEmpty {
                missing += 1
                #expect(l["status"] as? String == "not_found", "\(keys[i])")
            } else {
                #expect((l["total_seconds"] as? Int).map(String.init) == sums[i], "\(keys[i])")
            }
        }
        #expect(missing > 0 && missing < keys.count)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func awkwardSumsAndUnquotedIdentifiersFoldToLowerCase() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: F.awkwardRows)
        // The table was created unquoted (lower case in the catalogue); upper-case options still find it.
        #expect(
            try schema.psql(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = '\(schema.name)' AND column_name = 'user_id'"
            ) == "1\n")
        let cases: [(Int64, String, String, Int64?)] = [
            (1, "course-v1:edX+DemoX+Demo_Course", "found", 123), (2, #"course-v1:it's "quoted";%+x"#, "found", 50),
            (2, "course-v1:%", "not_found", nil), (3, "course-v1:Écolé+Ünï+2026", "found", 70),
            (4, "course-v1:null", "not_found", nil),
            (5, "course-v1:zero", "found", 0), (6, "course-v1:negative", "unavailable", nil),
            (7, "course-v1:big", "found", 4_000_000_000),
        ]
        let input = cases.map { F.completion(user: $0.0, course: $0.1) }.joined(separator: "\n") + "\n"
        let (out, got) = try lookups(pg, schema, input)
        #expect(out.status == 1)
        try #require(got.count == cases.count)
        for (c, l) in zip(cases, got) {
            #expect(l["status"] as? String == c.2, "\(c.1): \(l)")
            if let t = c.3 { #expect(l["total_seconds"] as? Int64 == t, "\(c.1)") }
        }
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func missingTableOrColumnStopsAtStartUp() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: [])
        let table = try Tool.run(
            "lt-query", ["--warehouse", pg, "--table", schema.name + ".NOPE"], stdin: F.completion(user: 1, course: "c")
        )
        #expect(table.status == 2)
        #expect(table.stdout.isEmpty)
        #expect(table.stderr.contains("NOPE"))
        #expect(table.stderr.contains("check --table"))
        let column = try Tool.run(
            "lt-query", ["--warehouse", pg, "--table", schema.table, "--course-column", "COURSERUN_KEY"], stdin: "")
        #expect(column.status == 2)
        #expect(column.stderr.contains("courserun_key"))
    }

    @Test func serverDownAtStartIsNotFatalAndTheBreakerFailsFast() throws {
        let down = "host=127.0.0.1 port=1 dbname=x connect_timeout=2"
        let input = (1...3).map { F.completion(user: $0, course: "c") }.joined(separator: "\n") + "\n"
        let common = [
            "--warehouse", down, "--no-cache", "--flag", "on", "--batch-size", "1", "--retries", "2", "--retry-delay",
            "1ms", "--stats",
        ]
        let open = try Tool.run("lt-query", common + ["--breaker-cooldown", "1h"], stdin: input)
        #expect(open.status == 1)
        #expect(try F.lookups(open).map { $0["status"] as? String } == ["unavailable", "unavailable", "unavailable"])
        #expect(open.stderr.contains("round_trips=3 failed_fast=2"), "\(open.stderr)")
        // With no cooldown every later batch is a single probe.
        let probing = try Tool.run("lt-query", common + ["--breaker-cooldown", "0s"], stdin: input)
        #expect(probing.stderr.contains("round_trips=5 failed_fast=0"), "\(probing.stderr)")
        #expect(probing.stderr.contains("probe"))
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func recoversWhenTheServerComesBackAndWhenTheConnectionIsLost() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: F.awkwardRows)
        let dir = try Workdir()
        let pgPort = pg.split(separator: " ").first { $0.hasPrefix("port=") }.map { String($0.dropFirst(5)) } ?? "5432"
        try dir.write(
            "proxy.py",
            """
            import socket, sys, threading
            listen = socket.create_server(("127.0.0.1", int(sys.argv[1])))
            def pipe(a, b):
                try:
                    while (d := a.recv(65536)): b.sendall(d)
                except OSError: pass
                finally:
                    # shutdown, not just close: it wakes the other direction's recv and tells lt-query.
                    for x in (a, b):
                        try: x.shutdown(socket.SHUT_RDWR)
                        except OSError: pass
            while True:
                c, _ = listen.accept()
                s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
                threading.Thread(target=pipe, args=(c, s), daemon=True).start()
                threading.Thread(target=pipe, args=(s, c), daemon=True).start()
            """)
        let line1 = F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course")
        let line2 = F.completion(user: 3, course: "course-v1:Écolé+Ünï+2026")
        // Down at start: the first line is unavailable. Then the server "comes back" (a proxy starts
        // on the port), and after the cooldown the probe gets through. Then the server drops the
        // connection, and the next batch reconnects.
        let out = try Tool.shell(
            """
            out="$4/out"; line1="$1"; line2="$6"; table="$2"; pg="$3"; dir="$4"; pgport="$5"; app="lt-query-test-$$"
            port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
            await() { for i in $(seq 1 500); do eval "$1" && return 0; sleep 0.02; done; echo "gave up waiting: $1" >&2; return 1; }
            {
              echo "$line1"
              await '[ "$(wc -l < "$out")" -ge 1 ]'
              python3 "$dir/proxy.py" "$port" "$pgport" </dev/null >/dev/null 2>&1 & proxy=$!
              await 'python3 -c "import socket; socket.create_connection((\\"127.0.0.1\\", $port))" 2>/dev/null'
              echo "$line1"
              await '[ "$(wc -l < "$out")" -ge 2 ]'
              psql "$pg" -qAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$app'" >/dev/null
              echo "$line2"
              await '[ "$(wc -l < "$out")" -ge 3 ]'
              kill -9 $proxy  # SIGKILL: the test runner may leave SIGTERM blocked in children
            } | lt-query --warehouse "host=127.0.0.1 port=$port dbname=lt_test user=postgres application_name=$app" --table "$table" --no-cache --flag on \\
                  --batch-window 1ms --retries 1 --retry-delay 10ms --breaker-cooldown 0s --stats > "$out"
            echo "status $?"
            cat "$out"
            """, args: ["", line1, schema.table, pg, dir.path, pgPort, line2])
        #expect(out.stdout.contains("status 1"), "\(out.stdout)\n\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").dropFirst().map(String.init)
        let statuses = try lines.map { l -> String? in
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            return (o?["lookup"] as? [String: Any])?["status"] as? String
        }
        #expect(statuses == ["unavailable", "found", "found"], "\(out.stderr)")
        #expect(out.stderr.contains("retrying"))
        #expect(
            out.stderr.contains("round_trips=5"),
            "1 + 1 attempts while down, the probe, the lost connection, the reconnection")
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func statementTimeoutCancelsASlowQuery() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: F.awkwardRows)
        try schema.psql(
            "CREATE VIEW \(schema.name).SLOW AS SELECT * FROM \(schema.table) WHERE pg_sleep(0.2) IS NOT NULL")
        let (out, got) = try lookups(
            pg, schema, F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course") + "\n",
            ["--table", schema.name + ".SLOW", "--statement-timeout", "50ms", "--retries", "0"])
        #expect(out.status == 1)
        #expect(got.first?["status"] as? String == "unavailable")
        #expect((got.first?["error"] as? String)?.contains("statement timeout") == true, "\(got)")
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aServerThatStopsAnsweringIsGivenUpAndTheNextConnectionWorks() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: F.awkwardRows)
        let app = "lt-query-frozen-" + schema.name
        // A different key each time: lt-query remembers answers in memory even without the file cache.
        let lines = [
            F.completion(user: 1, course: "course-v1:edX+DemoX+Demo_Course"),
            F.completion(user: 3, course: "course-v1:Écolé+Ünï+2026"),
            F.completion(user: 2, course: #"course-v1:it's "quoted";%+x"#),
        ]
        let query = try Interactive(
            "lt-query",
            [
                "--warehouse", pg + " application_name=" + app, "--table", schema.table,
                "--no-cache", "--flag", "on", "--batch-window", "1ms", "--statement-timeout", "200ms",
                "--retries", "0", "--breaker-cooldown", "0s",
            ])
        #expect(try query.ask(lines[0]).contains(#""status":"found""#))
        // Freeze the backend serving lt-query: its kernel keeps the connection open, nothing answers,
        // and the server's statement_timeout cannot fire.
        let pid = try #require(
            pid_t(
                try schema.psql("SELECT pid FROM pg_stat_activity WHERE application_name = '\(app)'")
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        try #require(kill(pid, SIGSTOP) == 0)
        defer { kill(pid, SIGCONT) }
        let frozen = try query.ask(lines[1])
        #expect(frozen.contains(#""status":"unavailable""#), "\(frozen)")
        #expect(
            frozen.contains("did not answer within 1.2s"),
            "200ms plus the margin for the server's own answer: \(frozen)")
        kill(pid, SIGCONT)
        #expect(try query.ask(lines[2]).contains(#""status":"found""#), "a new connection after the abandoned one")
        let (status, _) = try query.finish()
        #expect(status == 1)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func adHocLookupExplainAndRedactedPassword() throws
    {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: F.awkwardRows)
        let port = pg.split(separator: " ").first { $0.hasPrefix("port=") }.map { String($0.dropFirst(5)) } ?? "5432"
        // Trust authentication ignores the password; it must still never be echoed.
        let url = "postgres://postgres:sekrit@127.0.0.1:\(port)/lt_test"
        let args = [
            "--warehouse", url, "--table", schema.table, "--no-cache", "--user", "2",
            "--course", #"course-v1:it's "quoted";%+x"#, "--enterprise", F.enterprise,
        ]
        let out = try Tool.run("lt-query", args)
        #expect(out.status == 0, "\(out.stderr)")
        let record = try #require(try out.records().first)
        #expect((record["lookup"] as? [String: Any])?["total_seconds"] as? Int == 50)
        #expect(record["warehouse"] as? String == "postgres://postgres:***@127.0.0.1:\(port)/lt_test")
        #expect(!out.stdout.contains("sekrit") && !out.stderr.contains("sekrit"))
        let explain = try Tool.run("lt-query", args + ["--explain"])
        #expect(explain.stdout.contains("unnest($1::bigint[], $2::text[], $3::text[])"))
        #expect(explain.stdout.contains(#"-- $2 = '{"course-v1:it's \"quoted\";%+x"}'"#))
        // The SQL the explanation shows runs as shown.
        let stmt = explain.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let sum = try schema.psql(
            "PREPARE q(bigint[], text[], text[]) AS \(stmt); EXECUTE q('{2}', '{\"course-v1:it''s \\\"quoted\\\";%+x\"}', '{\"\(F.enterprise)\"}');"
        )
        #expect(sum == "1|50\n")
    }
}
