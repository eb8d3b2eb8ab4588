/// Where and how one integration's webhooks are delivered.
public struct Endpoint: Sendable {
    /// How requests authenticate.
    public enum Auth: Sendable {
        case none
        /// A static bearer token, read from an environment variable or a file.
        case bearer(SecretReference)
        /// OAuth2 client credentials, exchanged for a token at `tokenURL`.
        case oauth2(tokenURL: HTTPURL, clientID: SecretReference, clientSecret: SecretReference, scope: String?)
    }

    public var name: String
    /// Parsed where it was read; plain http is judged against `--allow-http` when the run starts.
    public var url: HTTPURL
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
    public var headers: [HTTPHeader] = []
    public var auth: Auth = .none
    /// Standard Webhooks signing secrets (`whsec_…`); several during a rotation.
    public var signingSecrets: SecretReference?
    /// Client certificate (mutual TLS): PEM certificate and key files, and the key's passphrase.
    public var certificateFile: String?
    public var keyFile: String?
    public var keyPassword: SecretReference?

    public init(name: String, url: HTTPURL) {
        self.name = name
        self.url = url
    }
}
