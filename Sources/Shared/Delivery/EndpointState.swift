/// One destination during a run: its settings, resolved secrets, rate limit, circuit breaker,
/// and whether it answered 410 Gone.
final class EndpointState {
    let endpoint: Endpoint
    /// `scheme://host:port`, the key for the per-host concurrency cap.
    let host: String
    let signer: WebhookSigner?
    let bearer: String?
    let oauth: OAuthTokenSource?
    let policy: RetryPolicy
    /// The certificate presented to the endpoint, when it asks for one.
    let clientCertificate: ClientCertificate?
    var limiter: PacedLimiter?
    var breaker: CircuitBreaker
    /// The endpoint's URL without its query string, for results and logs.
    let redactedURL: String
    /// This destination's scope in the journal.
    var journalScope: Int64 = 0
    /// Where the 410 came from, once the endpoint answered it.
    var goneAt: SourceLocation?

    /// The secret values read for this endpoint, so diagnostics can mask them should one ever leak into a message.
    private(set) var secrets: [String] = []

    init(_ endpoint: Endpoint, options: SendOptions, environment: [String: String], transport: TransportSettings) throws {
        self.endpoint = endpoint
        host = EndpointState.hostKey(endpoint.url)
        redactedURL = HTTPURL.withoutQuery(endpoint.url)
        var secrets: [String] = []
        func resolve(_ ref: SecretReference) throws -> String {
            let value = try ref.resolve(environment)
            secrets.append(value)
            return value
        }
        for file in [endpoint.certificateFile, endpoint.keyFile].compactMap({ $0 }) where FileBytes.read(file, limit: 1 << 20) == nil {
            throw ConfigError("\(endpoint.name): cannot read the client certificate or key \(file)", hint: "check the path and its permissions")
        }
        clientCertificate = try endpoint.certificateFile.map {
            ClientCertificate(certificatePath: $0, keyPath: endpoint.keyFile, keyPassword: try endpoint.keyPassword.map(resolve))
        }
        signer = try endpoint.signingSecrets.map { try WebhookSigner(secrets: resolve($0)) }
        switch endpoint.auth {
        case .none:
            bearer = nil
            oauth = nil
        case .bearer(let ref):
            bearer = try resolve(ref)
            oauth = nil
        case .oauth2(let tokenURL, let clientID, let clientSecret, let scope):
            bearer = nil
            let id = try resolve(clientID), secret = try resolve(clientSecret)
            oauth = options.dryRun ? nil : try OAuthTokenSource(
                tokenURL: tokenURL, clientID: id, clientSecret: secret, scope: scope, timeout: endpoint.timeout, settings: transport)
        }
        self.secrets = secrets.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }).map(String.init) }
        var policy = options.retry
        if let r = endpoint.retries { policy.retries = r }
        self.policy = policy
        limiter = endpoint.maxRequestsPerMinute.map { PacedLimiter(perSecond: Double($0) / 60) }
        breaker = CircuitBreaker(threshold: options.breakerFailures, cooldown: options.breakerCooldown)
    }

    var name: String { endpoint.name }

    static func hostKey(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return String(url[..<end]).lowercased()
    }
}
