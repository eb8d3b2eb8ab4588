import Testing

@testable import Shared

/// Which PostgreSQL failures are permanent, and what lt-query tells the user to do about them.
@Suite struct PostgresMisconfigurationTests {
    @Test func permanentClassesAndTransientOthers() {
        #expect(PostgresMisconfiguration(sqlState: "28P01") == .login)
        #expect(PostgresMisconfiguration(sqlState: "28000") == .role)
        #expect(PostgresMisconfiguration(sqlState: "3D000") == .database)
        #expect(PostgresMisconfiguration(sqlState: "42501") == .privilege)
        #expect(PostgresMisconfiguration(sqlState: "42P01") == .schema)
        #expect(PostgresMisconfiguration(sqlState: "42703") == .schema)
        #expect(PostgresMisconfiguration(sqlState: "3F000") == .schema)
        #expect(PostgresMisconfiguration(sqlState: "42601") == .query)
        #expect(PostgresMisconfiguration(sqlState: "0A000") == .query)
        // Serialization failure, deadlock, statement timeout, shutdown, connection failure, out of memory.
        for transient in ["40001", "40P01", "57014", "57P01", "08006", "53200", "XX000", nil, "", "42"] {
            #expect(PostgresMisconfiguration(sqlState: transient) == nil, "\(transient ?? "nil")")
        }
    }

    @Test func connectionFailuresAreReadFromTheServersMessage() {
        func state(_ m: String, _ needsPassword: Bool = false) -> String? {
            PostgresMisconfiguration.sqlState(ofConnectionFailure: m, needsPassword: needsPassword)
        }
        #expect(
            state(
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL: password authentication failed for user "lt""#
            ) == "28P01")
        #expect(
            state("connection to server at \"127.0.0.1\", port 5432 failed: fe_sendauth: no password supplied", true)
                == "28P01")
        #expect(
            state(#"connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL: database "nope" does not exist"#)
                == "3D000")
        #expect(
            state(#"connection to server at "127.0.0.1", port 5432 failed: FATAL: role "ghost" does not exist"#)
                == "28000")
        #expect(
            state(#"FATAL: no pg_hba.conf entry for host "127.0.0.1", user "x", database "y", no encryption"#)
                == "28000")
        #expect(state(#"FATAL: permission denied for database "lt_test""#) == "42501")
        #expect(
            state(
                #"connection to server at "127.0.0.1", port 1 failed: Connection refused Is the server running on that host?"#
            ) == nil)
        #expect(state("connection to server at \"127.0.0.1\", port 5432 failed: timeout expired") == nil)
    }

    @Test func hintsNameTheFix() {
        #expect(PostgresMisconfiguration.login.hint(table: "t").contains("PGPASSWORD"))
        #expect(PostgresMisconfiguration.login.hint(table: "t").contains("~/.pgpass"))
        #expect(
            PostgresMisconfiguration.privilege.hint(table: "BI.LEARNING_TIME").contains(
                "GRANT SELECT ON BI.LEARNING_TIME"))
        #expect(PostgresMisconfiguration.schema.hint(table: "t").contains("--table"))
        #expect(PostgresMisconfiguration.database.hint(table: "t").contains("dbname"))
    }

    @Test func numericSumsWithAScaleAreWholeNumbers() {
        #expect(PostgresWarehouse.wholeNumber("123.000") == 123)
        #expect(PostgresWarehouse.wholeNumber("-5.0") == -5)
        #expect(PostgresWarehouse.wholeNumber("12.5") == nil)
        #expect(PostgresWarehouse.wholeNumber("99999999999999999999.0") == nil)
        #expect(PostgresWarehouse.wholeNumber("12") == nil)  // no dot: the integer parser's case
    }
}
