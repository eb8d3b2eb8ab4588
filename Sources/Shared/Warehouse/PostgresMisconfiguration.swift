/// A PostgreSQL failure that no retry can fix, told apart by SQLSTATE: failed authentication
/// (class 28), a missing database (3D), and a missing table, column, schema or grant (class 42,
/// with 3F000 and 0A000). Everything else (refused connections, timeouts, serialization
/// failures, a server shutting down) is transient.
enum PostgresMisconfiguration: Equatable {
    /// Wrong or missing password (28P01).
    case login
    /// No such role, or no pg_hba.conf entry lets it in (28000).
    case role
    /// No such database (3D000).
    case database
    /// The role may not read the table or schema, or connect to the database (42501).
    case privilege
    /// No such table, schema or column (42P01, 3F000, 42703).
    case schema
    /// Another class-42 error or an unsupported feature (0A000): the query does not fit the server.
    case query

    init?(sqlState: String?) {
        guard let s = sqlState, s.utf8.count == 5 else { return nil }
        switch s {
        case "28P01": self = .login
        case "3D000": self = .database
        case "42501": self = .privilege
        case "42P01", "3F000", "42703": self = .schema
        case "0A000": self = .query
        default:
            if s.hasPrefix("28") {
                self = .role
            } else if s.hasPrefix("3D") {
                self = .database
            } else if s.hasPrefix("42") {
                self = .query
            } else {
                return nil
            }
        }
    }

    /// The SQLSTATE of a failed connection. libpq keeps the server's error fields of a failed
    /// start-up to itself, so they are read from its message (servers speaking English, the
    /// default); `needsPassword` is libpq's own finding that a password was asked for and none given.
    static func sqlState(ofConnectionFailure message: String, needsPassword: Bool) -> String? {
        if needsPassword || message.contains("password authentication failed") { return "28P01" }
        if message.contains("database \""), message.contains("does not exist") { return "3D000" }
        if message.contains("role \""), message.contains("does not exist") { return "28000" }
        if message.contains("no pg_hba.conf entry") || message.contains("authentication failed for user") {
            return "28000"
        }
        if message.contains("permission denied for database") { return "42501" }
        return nil
    }

    /// How to fix it, in the "what to do" form of lt's messages.
    func hint(table: String) -> String {
        switch self {
        case .login:
            "give the password in PGPASSWORD or a ~/.pgpass line (host:port:database:user:password), "
                + "never in --warehouse"
        case .role:
            "check the user in --warehouse (or PGUSER) and that the server's pg_hba.conf lets it connect from this host"
        case .database:
            "check the database name in --warehouse (dbname=…, or PGDATABASE)"
        case .privilege:
            "grant the role read access: GRANT USAGE ON SCHEMA … and GRANT SELECT ON \(table) TO the role"
        case .schema:
            "check --table and the column options against the warehouse's schema"
        case .query:
            "check --table and the column options, and that the server supports unnest … WITH ORDINALITY"
        }
    }
}
