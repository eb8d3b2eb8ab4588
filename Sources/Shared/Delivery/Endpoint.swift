/// Where and how one integration's webhooks are delivered.
public struct Endpoint: Sendable {
    /// How requests authenticate.
    public enum Auth: Sendable {
        case none
        /// A static bearer token, read from an environment variable or a file.
        case bearer(SecretReference)
        /// OAuth2 client credentials, exchanged for a token at `tokenURL`.
        case oauth2(tokenURL: String, clientID: SecretReference, clientSecret: SecretReference, scope: String?)
    }

    public var name: String
    public var url: String
    /// Seconds one attempt may take (5 to 300, as upstream).
    public var timeout: Double = 30
    public var retries: Int?
    /// `retry = "NAME"`: a named schedule for this integration.
    public var retryPreset: RetryPolicy.Preset?
    /// `retry_schedule = ["30s", "5m"]`: explicit delays for this integration.
    public var retrySchedule: [Double]?
    /// `retry_statuses = [408, 429, "5xx"]`: which answers this integration retries.
    public var retryStatuses: RetriedStatuses?
    public var maxRequestsPerMinute: Int?
    public var headers: [(String, String)] = []
    public var auth: Auth = .none
    /// Standard Webhooks signing secrets (`whsec_…`); several during a rotation.
    public var signingSecrets: SecretReference?

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }
}

/// A secret named by where it lives, never by its value: an environment variable or a file.
public enum SecretReference: Sendable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads the secret; trailing whitespace of a file is dropped.
    public func resolve(_ environment: [String: String]) throws -> String {
        switch self {
        case .environment(let name):
            guard let v = environment[name], !v.isEmpty else {
                throw ConfigError("environment variable \(name) is not set", hint: "export \(name) with the secret before running lt-send")
            }
            return v
        case .file(let path):
            guard let data = FileBytes.read(path) else {
                throw ConfigError("cannot read secret file \(path)", hint: "check the path and its permissions")
            }
            var s = String(decoding: data, as: UTF8.self)
            while let last = s.last, last.isWhitespace { s.removeLast() }
            return s
        }
    }

    public var description: String {
        switch self {
        case .environment(let n): "$\(n)"
        case .file(let p): "file \(p)"
        }
    }
}
