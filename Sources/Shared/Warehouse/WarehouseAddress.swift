import FoundationEssentials

/// Opens the warehouse named by `--warehouse` or `LT_WAREHOUSE`.
///
/// - `sqlite:PATH`: the embedded warehouse.
/// - `postgres://…`, `postgresql://…` or a libpq conninfo (`host=… dbname=…`): through libpq.
/// - `snowflake://ACCOUNT/DB/SCHEMA?…`: the Snowflake SQL API, with key-pair authentication (docs/snowflake.md).
public enum WarehouseAddress {
    public static let environmentVariable = "LT_WAREHOUSE"

    /// The address from the option, else the environment; a configuration error when neither is set.
    public static func resolve(option: String?, environment: [String: String]) throws -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        throw ConfigError(
            "no warehouse given",
            hint: "pass --warehouse sqlite:PATH or postgres://HOST/DB, or set \(environmentVariable)")
    }

    public enum Kind: Equatable {
        case sqlite(path: String)
        case postgres(conninfo: String)
        case snowflake(String)
    }

    /// The path of a local address (`sqlite:PATH`, the cache's `file:DIR`), with a `//` after the
    /// scheme dropped (`sqlite://w.db` is `sqlite:w.db`); nil when `address` does not start with `scheme`.
    public static func localPath(in address: String, scheme: String) -> String? {
        guard address.hasPrefix(scheme) else { return nil }
        let path = address.dropFirst(scheme.count)
        return String(path.hasPrefix("//") ? path.dropFirst(2) : path)
    }

    public static func kind(of address: String) throws -> Kind {
        if let path = localPath(in: address, scheme: "sqlite:") {
            guard !path.isEmpty else {
                throw ConfigError("sqlite: needs a path", hint: "for example --warehouse sqlite:warehouse.db")
            }
            return .sqlite(path: path)
        }
        if address.hasPrefix("snowflake://") { return .snowflake(address) }
        if address.hasPrefix("postgres://") || address.hasPrefix("postgresql://") || address.contains("=") {
            return .postgres(conninfo: address)
        }
        throw ConfigError(
            "--warehouse \(redacted(address)) is not a warehouse address",
            hint: "use sqlite:PATH, postgres://USER@HOST:PORT/DB or a libpq conninfo such as 'host=… dbname=…'")
    }

    /// The warning for an address given on the command line with a password in it (`ps` and the
    /// shell's history show it to others), or nil when it holds none. It still works, for the
    /// scripts that rely on it. (A snowflake:// address with a password is refused outright.)
    public static func commandLinePasswordWarning(_ address: String) -> String? {
        guard redacted(address) != address else { return nil }
        return "--warehouse \(redacted(address)) holds a password, which ps and the shell's history show to "
            + "other users; put it in PGPASSWORD or ~/.pgpass instead (for Snowflake, the key-pair variables "
            + "SNOWFLAKE_PRIVATE_KEY_PATH and SNOWFLAKE_SERVICE_USER)"
    }

    /// The address with any password replaced by `***`, safe to print.
    public static func redacted(_ address: String) -> String {
        var s = address
        // URL form: scheme://user:password@host
        if let scheme = s.firstRange(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@") {
            let userinfo = s[scheme.upperBound..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                s.replaceSubrange(s.index(after: colon)..<at, with: "***")
            }
        }
        // URL query or conninfo: password=…
        for marker in ["password=", "sslpassword="] {
            var searchFrom = s.startIndex
            while let r = s[searchFrom...].firstRange(of: marker) {
                var end = r.upperBound
                if end < s.endIndex && s[end] == "'" {
                    end = s.index(after: end)
                    while end < s.endIndex && s[end] != "'" { end = s.index(after: end) }
                    if end < s.endIndex { end = s.index(after: end) }
                } else {
                    while end < s.endIndex && s[end] != " " && s[end] != "&" { end = s.index(after: end) }
                }
                s.replaceSubrange(r.upperBound..<end, with: "***")
                searchFrom = s.index(r.upperBound, offsetBy: 3)
            }
        }
        return s
    }

    /// Longest a warehouse statement may run, in seconds, unless `--statement-timeout` says otherwise:
    /// PostgreSQL's `statement_timeout`, Snowflake's statement `timeout`. Written here alone.
    public static let defaultStatementTimeout = 30.0

    /// Opens the warehouse; configuration problems throw at once. A PostgreSQL warehouse connects
    /// on first use (or ``Warehouse/verify()``).
    public static func open(
        _ address: String, spec: TableSpec, statementTimeout: Double = defaultStatementTimeout
    ) throws -> Warehouse {
        switch try kind(of: address) {
        case .sqlite(let path): return try SQLiteWarehouse(path: path, spec: spec)
        case .postgres(let conninfo):
            return try PostgresWarehouse(address: conninfo, spec: spec, statementTimeout: statementTimeout)
        case .snowflake(let address):
            let env = ProcessInfo.processInfo.environment
            let account = try SnowflakeAccount.parse(address, environment: env)
            return try SnowflakeWarehouse(
                account: account, auth: try SnowflakeAuth.fromEnvironment(env, account: account),
                spec: spec, statementTimeout: statementTimeout)
        }
    }
}
