/// One destination during a run: its settings, resolved secrets, authenticators and retry policy,
/// and whether it answered 410 Gone. Its breaker, pacing and queues live in ``DeliveryScheduler``.
final class EndpointState {
    let endpoint: Endpoint
    /// ``HTTPURL/origin`` (`scheme://host:port`), the key for the per-host concurrency cap.
    let host: String
    /// `host:port`, named in failure causes.
    let hostPort: String
    /// The URL without its query, for results, logs and the attempt log.
    let displayURL: String
    let authenticators: [any RequestAuthenticator]
    let oauth: OAuthTokenSource?
    let signs: Bool
    let policy: RetryPolicy
    /// The certificate presented to the endpoint, when it asks for one.
    let clientCertificate: ClientCertificate?
    /// This destination's scope in the journal.
    var journalScope: Int64 = 0
    /// Where the 410 came from, once the endpoint answered it.
    var goneAt: SourceLocation?

    /// What start-up found worth a warning (a client key readable by others, an expired certificate).
    let warnings: [String]
    /// The run's secrets: every one read for this endpoint is added, and outside text is masked with them.
    let secrets: SecretSet

    init(_ endpoint: Endpoint, options: SendOptions, environment: [String: String], secrets: SecretSet) throws {
        self.endpoint = endpoint
        host = endpoint.url.origin
        hostPort = endpoint.url.hostPort
        displayURL = endpoint.url.redacted
        self.secrets = secrets
        func resolve(_ ref: SecretReference) throws -> String {
            let value = try ref.resolve(environment)
            secrets.add(value)
            return value
        }
        let certificate = try endpoint.certificateFile.map {
            ClientCertificate(
                certificatePath: $0, keyPath: endpoint.keyFile, keyPassword: try endpoint.keyPassword.map(resolve))
        }
        // Loaded and checked now, whatever the URL's scheme, never prompting for a passphrase.
        warnings = try certificate.map { try TLSMaterial.check($0, owner: endpoint.name) } ?? []
        clientCertificate = certificate
        var authenticators: [any RequestAuthenticator] = []
        switch endpoint.auth {
        case .none:
            oauth = nil
        case .bearer(let ref):
            authenticators.append(
                BearerAuthenticator(token: try EndpointState.headerSecret(resolve(ref), ref, endpoint)))
            oauth = nil
        case .oauth2(let tokenURL, let clientID, let clientSecret, let scope):
            // Not masked: a client id is an identifier (RFC 6749, 2.2), and masking a short one
            // would garble the token endpoint's own words (`invalid_client`).
            let id = try clientID.resolve(environment)
            let secret = try resolve(clientSecret)
            authenticators.append(OAuth2Authenticator(tokenURL: tokenURL))
            oauth = OAuthTokenSource(
                tokenURL: tokenURL, clientID: id, clientSecret: secret, scope: scope,
                timeout: endpoint.timeout, secrets: secrets)
        }
        if let ref = endpoint.signingSecrets {
            authenticators.append(SigningAuthenticator(signer: try WebhookSigner(secrets: resolve(ref))))
            signs = true
        } else {
            signs = false
        }
        self.authenticators = authenticators
        var policy = options.retry
        if let preset = endpoint.retryPreset { policy.apply(preset) }
        if let schedule = endpoint.retrySchedule {
            policy.schedule = schedule
            policy.retries = schedule.count
        }
        if let r = endpoint.retries { policy.retries = r }
        if let statuses = endpoint.retryStatuses { policy.retried = statuses }
        self.policy = policy
    }

    var name: String { endpoint.name }

    /// The headers of one attempt, authentication included.
    func headers(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        var headers: [HTTPHeader] = [HTTPHeader("Content-Type", "application/json")]
        headers.append(contentsOf: endpoint.headers)
        for a in authenticators { headers.append(contentsOf: a.headers(attempt)) }
        if !signs { headers.append(HTTPHeader("webhook-id", attempt.id)) }
        return headers
    }

    /// The same headers with every secret masked, for `--dry-run`.
    func maskedHeaders(_ attempt: AttemptIdentity, userAgent: String) -> [HTTPHeader] {
        var headers: [HTTPHeader] = [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", HeaderValue(computed: userAgent)),
        ]
        headers.append(contentsOf: endpoint.headers)
        for a in authenticators { headers.append(contentsOf: a.maskedHeaders(attempt)) }
        if !signs { headers.append(HTTPHeader("webhook-id", attempt.id)) }
        return headers
    }

    /// The cause of a failed attempt: where it went and what came back (libcurl's message may
    /// quote the peer, so it is masked like any outside text).
    func failureCause(_ r: HTTPResponse) -> String {
        // An address refusal already names the address, and reads the same whatever the port.
        if let e = r.transportError.map(secrets.mask(outside:)) {
            return e.text.hasPrefix("refused: ") ? e.text : "POST to \(hostPort) failed: \(e)"
        }
        return "\(hostPort) answered \(r.status)"
    }

    /// A secret that becomes a header value (a static bearer token): one with a line break or
    /// other control character is refused at start-up, naming where it came from, never sent.
    /// (``SecretReference/resolve(_:)`` refuses them too; this is the typed step the request needs.)
    static func headerSecret(_ value: String, _ ref: SecretReference, _ endpoint: Endpoint) throws -> HeaderValue {
        do { return try HeaderValue(value) } catch {
            throw ConfigError(
                "\(endpoint.name): the bearer token from \(ref) holds a control character (\(error.character))",
                hint: "a token is one line of text; remove line breaks and control characters")
        }
    }
}
