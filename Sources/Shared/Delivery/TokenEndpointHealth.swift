/// The health of one OAuth2 token endpoint, shared by every integration that gets its tokens at
/// the same URL: a circuit breaker like a partner's. While the token endpoint fails, the lines
/// waiting for a token are held, not failed, and one token request goes out per cooldown for all
/// of them, never one per line.
final class TokenEndpointHealth {
    /// `host:port` of the token endpoint, named in causes.
    let hostPort: String
    var breaker: CircuitBreaker
    /// The last failure of a token request, named when a held line gives up.
    var lastFailure: String?

    init(tokenURL: HTTPURL, breakerFailures: Int, cooldown: Double) {
        hostPort = tokenURL.hostPort
        // A token endpoint that fails opens its breaker even with partners' breakers turned off:
        // without one, every line waiting for a token would ask again.
        breaker = CircuitBreaker(threshold: max(1, breakerFailures), cooldown: cooldown)
    }

    /// Where the breaker's shared instances are keyed: the token URL without its query.
    static func key(_ tokenURL: HTTPURL) -> String { tokenURL.redacted }
}
