import FoundationEssentials

/// Where and as whom lt-query talks to Snowflake: from
/// `snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=…&role=…&user=…&host=…`, with the
/// specification's `SNOWFLAKE_*` environment variables filling what the address leaves out.
public struct SnowflakeAccount: Sendable, Equatable {
    public var account: String
    public var user: String
    public var database: String?
    public var schema: String?
    public var warehouse: String?
    public var role: String?
    /// Base URL of the SQL API: `https://ACCOUNT.snowflakecomputing.com` unless `host=` overrides it
    /// (a private link, or a stand-in for tests given as `http://127.0.0.1:PORT`).
    public var baseURL: String

    public static func parse(_ address: String, environment: [String: String]) throws -> SnowflakeAccount {
        guard let components = URLComponents(string: address), components.scheme == "snowflake" else {
            throw ConfigError(
                "\(WarehouseAddress.redacted(address)) is not a snowflake:// address",
                hint: "use snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=…&role=…&user=…")
        }
        if components.password != nil {
            throw ConfigError(
                "the snowflake address contains a password",
                hint:
                    "authenticate with SNOWFLAKE_PRIVATE_KEY_PATH (key pair), SNOWFLAKE_OAUTH_TOKEN or SNOWFLAKE_PAT instead"
            )
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set<String> = ["warehouse", "role", "user", "host"]
        for name in query.keys where !known.contains(name) {
            throw ConfigError(
                "snowflake address: unknown parameter \"\(name)\"",
                hint: "known: \(known.sorted().joined(separator: ", "))")
        }
        let path = components.path.split(separator: "/").map(String.init)
        func pick(_ value: String?, _ env: String) -> String? {
            if let value, !value.isEmpty { return value }
            if let e = environment[env], !e.isEmpty { return e }
            return nil
        }
        guard let account = pick(components.host, "SNOWFLAKE_ACCOUNT") else {
            throw ConfigError(
                "no Snowflake account", hint: "write it in the address (snowflake://ACCOUNT/…) or set SNOWFLAKE_ACCOUNT"
            )
        }
        guard let user = pick(query["user"] ?? components.user, "SNOWFLAKE_SERVICE_USER") else {
            throw ConfigError("no Snowflake user", hint: "add ?user=… to the address or set SNOWFLAKE_SERVICE_USER")
        }
        let base: String
        if let host = query["host"], !host.isEmpty {
            base = host.contains("://") ? host : "https://" + host
        } else {
            base = "https://\(account).snowflakecomputing.com"
        }
        return SnowflakeAccount(
            account: account, user: user,
            database: pick(path.count > 0 ? path[0] : nil, "SNOWFLAKE_DATABASE"),
            schema: pick(path.count > 1 ? path[1] : nil, "SNOWFLAKE_SCHEMA"),
            warehouse: pick(query["warehouse"], "SNOWFLAKE_WAREHOUSE"),
            role: pick(query["role"], "SNOWFLAKE_ROLE"),
            baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base)
    }

    /// The account as Snowflake wants it in JWT claims: upper-cased, and for an account locator
    /// with region (`xy12345.us-east-2.aws`) only the locator.
    public var accountForToken: String {
        String(account.split(separator: ".").first ?? Substring(account)).uppercased()
    }
}
