import Foundation
import Testing

/// Issue 24, point 7: a password on the command line is shown by `ps`. In a PostgreSQL
/// `--warehouse` it still works, with a warning on stderr naming PGPASSWORD and ~/.pgpass and
/// never the password; in a Snowflake address it is refused, naming the key-pair variables.
/// The real PostgreSQL server of the test command.
@Suite struct LtQueryPasswordTests {
    typealias F = LtQueryFixture

    @Test(.enabled(if: Services.hasPostgres, Services.postgresNote))
    func aPostgresPasswordOnTheCommandLineWorksWithAWarningThatNamesTheVariables() throws {
        let pg = try Services.postgres()
        let schema = try LtQueryPostgresTests.Schema(pg, rows: [(1, "c", F.enterprise, 60)])
        // scripts/postgres.sh makes this one role log in with a password (scram-sha-256), so the
        // password given on the command line is what lets it in.
        let role = "lt_password_test"
        try schema.psql(
            """
            DO $$ BEGIN CREATE ROLE \(role) LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            ALTER ROLE \(role) PASSWORD 'right-password';
            GRANT USAGE ON SCHEMA \(schema.name) TO \(role);
            GRANT SELECT ON \(schema.table) TO \(role);
            """)
        let conninfo = pg.replacingOccurrences(of: "user=postgres", with: "user=\(role)") + " password=right-password"
        let out = try Tool.run(
            "lt-query", ["--warehouse", conninfo, "--table", schema.table, "--no-cache", "--flag", "on"],
            stdin: F.completion(user: 1, course: "c") + "\n", env: ["PGPASSWORD": "", "PGPASSFILE": "/nonexistent"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try F.lookups(out).first?["total_seconds"] as? Int == 60)
        let warning = out.stderr.split(separator: "\n").first { $0.contains("warning") && $0.contains("password") }
        #expect(warning?.contains("PGPASSWORD") == true && warning?.contains("~/.pgpass") == true, "\(out.stderr)")
        #expect(warning?.contains("password=***") == true, "\(out.stderr)")
        #expect(!out.stderr.contains("right-password") && !out.stdout.contains("right-password"))
    }

    @Test func aSnowflakePasswordIsRefusedNamingTheKeyPairVariables() throws {
        let out = try Tool.run(
            "lt-query",
            ["--warehouse", "snowflake://svc:sf-S3CRET-pw@acct/DB/SCH?warehouse=W&role=R", "--flag", "on"],
            stdin: F.completion(user: 1, course: "c") + "\n")
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("contains a password"), "\(out.stderr)")
        #expect(out.stderr.contains("SNOWFLAKE_PRIVATE_KEY_PATH"), "\(out.stderr)")
        #expect(!out.stderr.contains("sf-S3CRET-pw"), "\(out.stderr)")
        #expect(out.stdout.isEmpty)
    }
}
