/// Where lines go: the one `--url` endpoint, or the integrations file's endpoints by name. Built
/// once at start-up, every URL checked, every secret resolved; routing a line is the second of its
/// three steps (parse, route, dedupe).
final class DeliveryRoutes {
    private(set) var byName: [String: EndpointState] = [:]
    private(set) var url: EndpointState?
    private let defaultIntegration: String?

    init(options: SendOptions, environment: [String: String], journal: DeliveryJournal?, secrets: SecretSet) throws {
        defaultIntegration = options.integrations?.defaultIntegration
        if let url = options.url {
            try url.requireHTTPS(what: "--url", allowHTTP: options.allowHTTP)
            var e = Endpoint(name: "--url", url: url)
            e.timeout = options.timeout
            e.headers = options.urlHeaders
            if let variable = options.urlBearerEnvironment { e.auth = .bearer(.environment(variable)) }
            e.certificateFile = options.clientCertificate?.certificatePath
            e.keyFile = options.clientCertificate?.keyPath
            e.keyPassword = options.keyPassword
            let state = try EndpointState(e, options: options, environment: environment, secrets: secrets)
            state.journalScope = try journal?.scope(DeliveryJournal.scopeName(url: url)) ?? 0
            self.url = state
        }
        for e in options.integrations.map({ Array($0.endpoints.values) }) ?? [] {
            try e.url.requireHTTPS(what: "integration \(e.name)'s url", allowHTTP: options.allowHTTP)
            if case .oauth2(let tokenURL, _, _, _) = e.auth {
                try tokenURL.requireHTTPS(what: "integration \(e.name)'s token_url", allowHTTP: options.allowHTTP)
            }
            let state = try EndpointState(e, options: options, environment: environment, secrets: secrets)
            state.journalScope = try journal?.scope(e.name) ?? 0
            byName[e.name] = state
        }
        // One breaker per token endpoint, shared by the integrations that get their tokens there.
        var health: [String: TokenEndpointHealth] = [:]
        for ep in all {
            guard let oauth = ep.oauth else { continue }
            let key = TokenEndpointHealth.key(oauth.tokenURL)
            let shared =
                health[key]
                ?? TokenEndpointHealth(
                    tokenURL: oauth.tokenURL, breakerFailures: options.breakerFailures,
                    cooldown: options.breakerCooldown)
            health[key] = shared
            oauth.health = shared
        }
        oauthEndpoints = all.filter { $0.oauth != nil }
    }

    /// The endpoints that get OAuth2 tokens.
    private(set) var oauthEndpoints: [EndpointState] = []

    /// When the next token request may go, after a failed one.
    var nextTokenDue: Double? { oauthEndpoints.compactMap { $0.oauth?.nextDue }.min() }

    /// Every endpoint of the run.
    var all: [EndpointState] { Array(byName.values) + [url].compactMap { $0 } }

    /// Takes the lines waiting for an OAuth2 token from every endpoint (when the run stops).
    func tokenWaiters() -> [PendingDelivery] { all.flatMap { $0.oauth?.takeWaiters() ?? [] } }

    /// The endpoint for `line`, and the integration its result names.
    func route(_ line: InboundLine) -> Result<(EndpointState, integration: String?), LineRejection> {
        let envelope = line.envelope
        if let url { return .success((url, envelope.integration)) }
        let name = envelope.integration ?? defaultIntegration
        guard let name, let e = byName[name] else {
            let known = byName.keys.sorted().joined(separator: ", ")
            return .failure(
                LineRejection(
                    message: envelope.integration.map { "unknown integration \"\($0)\" (known: \(known))" }
                        ?? "the line names no integration and the integrations file sets no default",
                    id: line.id, integration: envelope.integration))
        }
        return .success((e, e.name))
    }
}
