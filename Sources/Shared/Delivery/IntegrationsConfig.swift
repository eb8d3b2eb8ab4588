import TOMLKit

/// The `--integrations` file: a TOML table of endpoints by integration name.
///
///     default = "skillsoft"              # for lines without an "integration"
///     [integrations.skillsoft]
///     url = "https://partner.example/webhooks"
///     timeout = 30
///     retries = 3
///     max_requests_per_minute = 600
///     headers = { "X-Source" = "openedx" }
///     auth = { type = "bearer", token_env = "SKILLSOFT_TOKEN" }
///     signing = { secrets_env = "SKILLSOFT_WEBHOOK_SECRET" }
///     tls = { cert_file = "client.pem", key_file = "client.key", key_password_env = "SKILLSOFT_KEY_PASS" }
///
/// Secrets are named by environment variable (`*_env`) or file (`*_file`), never written here.
/// Every key is checked: an unknown one is an error naming the known ones. Header names and values
/// are checked too: no control characters, and none of the headers lt-send sets itself.
public struct IntegrationsConfig: Sendable {
    public var defaultIntegration: String?
    public var endpoints: [String: Endpoint]

    public init(defaultIntegration: String?, endpoints: [String: Endpoint]) {
        self.defaultIntegration = defaultIntegration
        self.endpoints = endpoints
    }

    public static func load(path: String) throws -> IntegrationsConfig {
        guard let bytes = FileBytes.read(path) else {
            throw ConfigError(
                "cannot read the integrations file \(path)", hint: "check the path given to --integrations")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), source: path)
    }

    public static func parse(_ text: String, source: String) throws -> IntegrationsConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ConfigError("\(source):\(e.source.begin.line): \(e.description)", hint: "fix the TOML syntax")
        }
        try checkKeys(table, ["default", "integrations"], at: source)
        if let d = table["default"], d.string == nil {
            throw ConfigError("\(source): default must be a string naming an integration")
        }
        let defaultName = table["default"]?.string
        guard let integrations = table["integrations"]?.table else {
            throw ConfigError("\(source): no [integrations.NAME] table", hint: "see examples/integrations.toml")
        }
        var endpoints: [String: Endpoint] = [:]
        for name in integrations.keys {
            guard let t = integrations[name]?.table else {
                throw ConfigError("\(source): integrations.\(name) is not a table")
            }
            endpoints[name] = try endpoint(name, t, source: source)
        }
        if let d = defaultName, endpoints[d] == nil {
            throw ConfigError(
                "\(source): default = \"\(d)\" names no integration", hint: "add [integrations.\(d)] or fix the name")
        }
        return IntegrationsConfig(defaultIntegration: defaultName, endpoints: endpoints)
    }

    private static let secretKeys: Set<String> = [
        "token", "secret", "secrets", "client_secret", "password", "client_id", "key_password",
    ]

    private static func endpoint(_ name: String, _ t: TOMLTable, source: String) throws -> Endpoint {
        let at = "\(source): integrations.\(name)"
        try checkKeys(
            t,
            [
                "url", "timeout", "retries", "retry", "retry_schedule", "retry_statuses",
                "max_requests_per_minute", "headers", "auth", "signing", "tls",
            ], at: at)
        guard let url = t["url"]?.string else { throw ConfigError("\(at): url is missing or not a string") }
        // Parsed now by libcurl's URL parser; plain http is judged later against --allow-http.
        var e = Endpoint(name: name, url: try HTTPURL(url, what: "\(at).url", allowHTTP: true))
        if let v = t["timeout"] {
            guard let timeout = v.double ?? v.int.map(Double.init), (5...300).contains(timeout) else {
                throw ConfigError("\(at): timeout must be a number of seconds from 5 to 300")
            }
            e.timeout = timeout
        }
        if let v = t["retries"] {
            guard let r = v.int, (0...20).contains(r) else {
                throw ConfigError("\(at): retries must be an integer from 0 to 20")
            }
            e.retries = r
        }
        try retrySettings(t, into: &e, at: at)
        if let v = t["max_requests_per_minute"] {
            guard let r = v.int, r > 0 else {
                throw ConfigError("\(at): max_requests_per_minute must be a positive integer")
            }
            e.maxRequestsPerMinute = r
        }
        if let v = t["headers"] {
            guard let h = v.table else { throw ConfigError("\(at): headers must be a table of strings") }
            let hasAuth = t["auth"]?.table?["type"]?.string.map { $0 != "none" } ?? false
            for k in h.keys.sorted() {
                guard let value = h[k]?.string else { throw ConfigError("\(at): header \(k) must be a string") }
                do {
                    e.headers.append(try HTTPHeader.user(name: k, value: value, hasAuth: hasAuth))
                } catch let error as ConfigError {
                    throw ConfigError("\(at).headers: \(error.message)", hint: error.hint)
                }
            }
        }
        if let v = t["auth"] {
            guard let a = v.table, let type = a["type"]?.string else {
                throw ConfigError("\(at): auth needs a type (none, bearer or oauth2)")
            }
            try rejectInlineSecrets(a, at: "\(at).auth")
            let keys: [String: [String]] = [
                "none": ["type"], "bearer": ["type", "token_env", "token_file"],
                "oauth2": [
                    "type", "token_url", "client_id_env", "client_id_file", "client_secret_env", "client_secret_file",
                    "scope",
                ],
            ]
            if let known = keys[type] { try checkKeys(a, known, at: "\(at).auth (type \(type))") }
            switch type {
            case "none": e.auth = .none
            case "bearer": e.auth = .bearer(try secret(a, "token", at: "\(at).auth"))
            case "oauth2":
                guard let tokenURL = a["token_url"]?.string else {
                    throw ConfigError("\(at).auth: oauth2 needs token_url")
                }
                e.auth = .oauth2(
                    tokenURL: try HTTPURL(tokenURL, what: "\(at).auth.token_url", allowHTTP: true),
                    clientID: try secret(a, "client_id", at: "\(at).auth"),
                    clientSecret: try secret(a, "client_secret", at: "\(at).auth"), scope: a["scope"]?.string)
            default: throw ConfigError("\(at).auth: unknown type \"\(type)\"", hint: "use none, bearer or oauth2")
            }
        }
        if let v = t["signing"] {
            guard let s = v.table else { throw ConfigError("\(at): signing must be a table") }
            try rejectInlineSecrets(s, at: "\(at).signing")
            try checkKeys(s, ["secrets_env", "secrets_file"], at: "\(at).signing")
            e.signingSecrets = try secret(s, "secrets", at: "\(at).signing")
        }
        if let v = t["tls"] {
            guard let tls = v.table else { throw ConfigError("\(at): tls must be a table") }
            try rejectInlineSecrets(tls, at: "\(at).tls")
            try checkKeys(tls, ["cert_file", "key_file", "key_password_env", "key_password_file"], at: "\(at).tls")
            guard let cert = tls["cert_file"]?.string else {
                throw ConfigError(
                    "\(at).tls: needs cert_file", hint: "name the PEM client certificate (and key_file for its key)")
            }
            e.certificateFile = try readableFile(cert, at: "\(at).tls.cert_file")
            e.keyFile = try tls["key_file"]?.string.map { try readableFile($0, at: "\(at).tls.key_file") }
            if tls["key_password_env"] != nil || tls["key_password_file"] != nil {
                e.keyPassword = try secret(tls, "key_password", at: "\(at).tls")
            }
        }
        return e
    }

    /// `retry = "NAME"`, `retry_schedule = ["30s", "5m"]` and `retry_statuses = [408, 429, "5xx"]`.
    private static func retrySettings(_ t: TOMLTable, into e: inout Endpoint, at: String) throws {
        if let v = t["retry"] {
            guard let name = v.string, let preset = RetryPolicy.Preset(rawValue: name) else {
                throw ConfigError("\(at): retry must name a preset", hint: "use one of \(RetryPolicy.Preset.names)")
            }
            e.retryPreset = preset
        }
        if let v = t["retry_schedule"] {
            guard let items = v.array?.compactMap({ $0.string }), items.count == v.array?.count, !items.isEmpty,
                items.count <= 20
            else {
                throw ConfigError(
                    "\(at): retry_schedule must be a list of 1 to 20 durations",
                    hint: "for example [\"30s\", \"5m\", \"1h\"]")
            }
            e.retrySchedule = try items.map { try DurationText.parse($0, option: "\(at).retry_schedule") }
        }
        if let v = t["retry_statuses"] {
            guard let array = v.array else {
                throw ConfigError(
                    "\(at): retry_statuses must be a list", hint: "for example [408, 429, \"5xx\"] or [\"all\"]")
            }
            let items = array.compactMap { $0.int.map(String.init) ?? $0.string }
            guard items.count == array.count else {
                throw ConfigError("\(at): retry_statuses must hold statuses and \"4xx\", \"5xx\" or \"all\"")
            }
            do { e.retryStatuses = try RetriedStatuses(parsing: items) } catch let error as ConfigError {
                throw ConfigError("\(at).\(error.message)", hint: error.hint)
            }
        }
    }

    /// Throws for the first key of `t` not in `known`, naming the known ones.
    static func checkKeys(_ t: TOMLTable, _ known: [String], at: String) throws {
        for k in t.keys.sorted() where !known.contains(k) {
            throw ConfigError(
                "\(at): unknown key \"\(k)\"", hint: "known keys: \(known.sorted().joined(separator: ", "))")
        }
    }

    private static func readableFile(_ path: String, at: String) throws -> String {
        guard FileBytes.read(path, limit: 1 << 20) != nil else {
            throw ConfigError("\(at): cannot read \(path)", hint: "check the path and its permissions")
        }
        return path
    }

    private static func rejectInlineSecrets(_ t: TOMLTable, at: String) throws {
        for k in t.keys where secretKeys.contains(k) {
            throw ConfigError(
                "\(at): \(k) must not be written in the file",
                hint: "name its environment variable with \(k)_env or its file with \(k)_file")
        }
    }

    private static func secret(_ t: TOMLTable, _ base: String, at: String) throws -> SecretReference {
        if let env = t["\(base)_env"]?.string { return .environment(env) }
        if let file = t["\(base)_file"]?.string { return .file(file) }
        throw ConfigError(
            "\(at): needs \(base)_env or \(base)_file", hint: "secrets are read from an environment variable or a file")
    }
}
