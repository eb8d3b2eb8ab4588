import Foundation
import Testing

/// Permanent warehouse errors end lt-query with status 2 (before any line at start-up, and with
/// no further line mid-run), and one bad total fails only its own key: against the real
/// PostgreSQL server the test command starts.
@Suite struct LtQueryWarehouseErrorTests {
    typealias F = LtQueryFixture
    typealias Schema = LtQueryPostgresTests.Schema

    func psql(_ conninfo: String, _ sql: String) throws {
        let out = try Tool.shell("psql \"$0\" -v ON_ERROR_STOP=1 -qAt -f -", args: [conninfo], stdin: sql)
        guard out.status == 0 else { throw TestFailure("psql failed: \(out.stderr)") }
    }

    /// The server's conninfo with another user (and database).
    func conninfo(_ pg: String, user: String, database: String? = nil) -> String {
        var c = pg.replacingOccurrences(of: "user=postgres", with: "user=\(user)")
        if let database { c = c.replacingOccurrences(of: "dbname=lt_test", with: "dbname=\(database)") }
        return c
    }

    func query(_ conninfo: String, _ table: String, _ input: String, env: [String: String] = [:]) throws -> ToolOutput {
        try Tool.run(
            "lt-query", ["--warehouse", conninfo, "--table", table, "--no-cache", "--flag", "on"], stdin: input,
            env: env)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func failedLoginStopsBeforeAnyLineAndNamesPGPASSWORD() throws {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: [(1, "c", F.enterprise, 60)])
        // scripts/postgres.sh makes this one role log in with a password.
        try psql(
            pg,
            """
            DO $$ BEGIN CREATE ROLE lt_password_test LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            ALTER ROLE lt_password_test PASSWORD 'right-password';
            GRANT USAGE ON SCHEMA \(schema.name) TO lt_password_test;
            GRANT SELECT ON \(schema.table) TO lt_password_test;
            """)
        let dir = try Workdir()
        let user = conninfo(pg, user: "lt_password_test")
        let input = F.completion(user: 1, course: "c") + "\n"
        let wrong = try query(user, schema.table, input, env: ["PGPASSWORD": "wrong-password"])
        #expect(wrong.status == 2, "\(wrong.stderr)")
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderr.contains("password authentication failed"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("PGPASSWORD") && wrong.stderr.contains("~/.pgpass"))
        #expect(!wrong.stderr.contains("wrong-password"))
        let none = try query(user, schema.table, input, env: ["PGPASSWORD": "", "PGPASSFILE": dir.file("none")])
        #expect(none.status == 2, "\(none.stderr)")
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.contains("PGPASSWORD"))
        // The fix the message names works: a ~/.pgpass line.
        let passfile = try dir.write("pgpass", "*:*:*:lt_password_test:right-password\n")
        chmod(passfile, 0o600)
        let right = try query(user, schema.table, input, env: ["PGPASSWORD": "", "PGPASSFILE": passfile])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try F.lookups(right).first?["total_seconds"] as? Int == 60)
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func missingDatabaseOrRoleStopsBeforeAnyLine()
        throws
    {
        let pg = try Services.postgres()
        let input = F.completion(user: 1, course: "c") + "\n"
        let database = try query(
            conninfo(pg, user: "postgres", database: "lt_no_such_database"), "LEARNING_TIME", input)
        #expect(database.status == 2, "\(database.stderr)")
        #expect(database.stdout.isEmpty)
        #expect(database.stderr.contains("lt_no_such_database"))
        #expect(database.stderr.contains("dbname"))
        let role = try query(conninfo(pg, user: "lt_no_such_role"), "LEARNING_TIME", input)
        #expect(role.status == 2, "\(role.stderr)")
        #expect(role.stdout.isEmpty)
        #expect(role.stderr.contains("pg_hba.conf"))
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func missingGrantStopsAtStartUpWithTheGrantToRun()
        throws
    {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: [(1, "c", F.enterprise, 60)])
        let role = "lt_nogrant_" + schema.name.suffix(8)
        try psql(pg, "CREATE ROLE \(role) LOGIN; GRANT USAGE ON SCHEMA \(schema.name) TO \(role);")
        defer { try? psql(pg, "DROP OWNED BY \(role); DROP ROLE \(role);") }
        let out = try query(conninfo(pg, user: role), schema.table, F.completion(user: 1, course: "c") + "\n")
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("permission denied"))
        #expect(out.stderr.contains("GRANT SELECT ON \(schema.table)"))
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func grantRevokedMidRunStopsWithNoFurtherLine()
        throws
    {
        let pg = try Services.postgres()
        let schema = try Schema(pg, rows: [(1, "c", F.enterprise, 60), (2, "c", F.enterprise, 120)])
        let role = "lt_revoked_" + schema.name.suffix(8)
        try psql(
            pg,
            "CREATE ROLE \(role) LOGIN; GRANT USAGE ON SCHEMA \(schema.name) TO \(role); GRANT SELECT ON \(schema.table) TO \(role);"
        )
        defer { try? psql(pg, "DROP OWNED BY \(role); DROP ROLE \(role);") }
        let tool = try Interactive(
            "lt-query",
            [
                "--warehouse", conninfo(pg, user: role), "--table", schema.table, "--no-cache",
                "--flag", "on", "--batch-window", "1ms", "--retries", "3", "--retry-delay", "1ms",
            ])
        let first = try tool.ask(F.completion(user: 1, course: "c"))
        #expect(first.contains(#""total_seconds":60"#), "\(first)")
        try psql(pg, "REVOKE SELECT ON \(schema.table) FROM \(role);")
        try tool.send(F.completion(user: 2, course: "c"))
        try tool.send(F.completion(user: 1, course: "c"))
        let (status, stderr) = try tool.finish()
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("permission denied"))
        #expect(stderr.contains("GRANT SELECT"))
        #expect(!stderr.contains("retrying"), "a permanent error was retried")
        #expect(throws: TestFailure.self) { _ = try tool.nextLine(within: 1) }
    }

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote)) func aBadTotalFailsOnlyItsOwnKey() throws {
        let pg = try Services.postgres()
        let big: Int64 = 9_000_000_000_000_000_000
        let schema = try Schema(
            pg,
            rows: [
                (1, "c", F.enterprise, big), (1, "c", F.enterprise, big), (2, "c", F.enterprise, 100),
                (3, "c", F.enterprise, -5),
            ])
        try schema.psql(
            """
            ALTER TABLE \(schema.table) ALTER COLUMN LEARNING_TIME_SECONDS TYPE NUMERIC;
            INSERT INTO \(schema.table) VALUES (4, 'c', '\(F.enterprise)', '2026-01-01', 10.5), (5, 'c', '\(F.enterprise)', '2026-01-01', 7.000);
            """)
        let input = (1...6).map { F.completion(user: $0, course: "c") }.joined(separator: "\n") + "\n"
        let out = try query(pg, schema.table, input)
        #expect(out.status == 1, "\(out.stderr)")
        let got = try F.lookups(out)
        try #require(got.count == 6)
        #expect(
            got.map { $0["status"] as? String } == [
                "unavailable", "found", "unavailable", "unavailable", "found", "not_found",
            ])
        #expect(got[1]["total_seconds"] as? Int == 100)
        #expect(got[4]["total_seconds"] as? Int == 7)
        for (i, user) in [(0, 1), (2, 3), (3, 4)] {
            let error = got[i]["error"] as? String ?? ""
            #expect(error.contains("learning_time:\(user):c:"), "\(error)")
            for other in [1, 2, 3, 4, 5] where other != user {
                #expect(!error.contains("learning_time:\(other):"), "\(error)")
            }
        }
    }
}
