/// OAuth2 client credentials for one endpoint: the token request (`grant_type=client_credentials`
/// with the client id and secret, POSTed to the token URL) and the token cached until 60 s before
/// `expires_in`.
///
/// It never sends anything itself: the event loop runs ``request()`` as a transfer next to the
/// deliveries and hands the answer to ``accept(_:now:)``, so a slow token endpoint holds up only
/// its own integration's lines. It is also the gate lines pass on their way out
/// (``gate(_:now:)``): a line goes with the cached token, or waits here for the token request.
///
/// The token endpoint is treated as an endpoint (``TokenEndpointHealth``): when a token request
/// fails (no answer, 408, 429, 5xx), the lines waiting stay held and the next request goes after
/// a second, or once the breaker's cooldown is over when it opened. A 4xx such as
/// `invalid_client` is a configuration problem: the source remembers it, and every line of the
/// integration fails with that reason without another request.
public final class OAuthTokenSource {
    public let tokenURL: HTTPURL
    private let form: [UInt8]
    private let timeout: Double
    private var token: HeaderValue?
    private var validUntil = 0.0
    /// A token request is in flight.
    public private(set) var fetching = false
    /// Token requests made so far, for `--stats`.
    public private(set) var requests = 0
    /// Lines waiting for a token.
    private var waiters: [PendingDelivery] = []
    /// The token endpoint's breaker, shared by the integrations using the same token URL.
    var health: TokenEndpointHealth
    /// When the next token request may go, after one failed (monotonic seconds).
    private(set) var retryAt: Double?
    /// The request in flight is the token endpoint's probe.
    private var probing = false
    /// Why the token endpoint refused this client, once it has (a configuration problem).
    private(set) var refusal: String?

    /// What a line about to be sent does.
    enum Gate {
        /// Go, with this token.
        case go(HeaderValue)
        /// Wait for a token; `fetch` is the token request to start, when one may go now.
        case wait(fetch: HTTPRequest?)
        /// Fail: the token endpoint refused the client credentials (the reason).
        case refused(String)
    }

    /// How a token request ended.
    enum Outcome {
        /// The waiting lines go on with this token.
        case token(HeaderValue)
        /// It failed (the cause); the waiting lines stay held until a later request succeeds.
        case failed(String, breakerOpened: Bool)
        /// The token endpoint refused the client: the waiting lines fail with this reason.
        case refused(String)
    }

    /// The run's secrets: each access token fetched joins them, and the token endpoint's text is masked with them.
    private let secrets: SecretSet

    public init(
        tokenURL: HTTPURL, clientID: String, clientSecret: String, scope: String?, timeout: Double,
        secrets: SecretSet
    ) {
        self.secrets = secrets
        self.tokenURL = tokenURL
        var fields = [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret)]
        if let scope { fields.append(("scope", scope)) }
        form = Array(
            fields.map { "\(OAuthTokenSource.formEncode($0.0))=\(OAuthTokenSource.formEncode($0.1))" }
                .joined(separator: "&").utf8)
        self.timeout = timeout
        health = TokenEndpointHealth(tokenURL: tokenURL, breakerFailures: 5, cooldown: 30)
    }

    /// The cached token while it is valid at `now`.
    public func cached(now: Double) -> HeaderValue? {
        guard let token, now < validUntil else { return nil }
        return token
    }

    /// The token request to run; the source counts as fetching until ``accept(_:now:)`` or ``abandon()``.
    public func request() -> HTTPRequest {
        fetching = true
        requests += 1
        let headers = [
            HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json"),
        ]
        return HTTPRequest(url: tokenURL.text, headers: headers, body: form, timeout: timeout)
    }

    /// The token for `p`'s attempt, or `p` parked here until a token request is answered.
    func gate(_ p: PendingDelivery, now: Double) -> Gate {
        if let refusal { return .refused(refusal) }
        let token = p.freshToken ?? cached(now: now)
        p.freshToken = nil
        if let token {
            p.tokenUsed = token
            return .go(token)
        }
        return park(p, now)
    }

    /// After a 401 to `p`'s attempt: forgets the token it used and parks `p` for a fresh one, once
    /// per line. Nil when `p` already had its fresh token (the 401 then counts as a failed attempt).
    func refresh(after401 p: PendingDelivery, now: Double) -> Gate? {
        guard refusal == nil, !p.refreshedToken, let used = p.tokenUsed else { return nil }
        // A token revoked or expired early: fetch a fresh one and try again, once.
        p.refreshedToken = true
        invalidate(used)
        return park(p, now)
    }

    private func park(_ p: PendingDelivery, _ now: Double) -> Gate {
        waiters.append(p)
        let request = fetch(now: now)
        if retryAt != nil { hold(p, now) }
        return .wait(fetch: request)
    }

    /// A line waiting while the token endpoint fails is held: its time counts toward `--max-elapsed`.
    private func hold(_ p: PendingDelivery, _ now: Double) {
        if p.heldSince == nil { p.heldSince = now }
        if p.clockStart == nil { p.clockStart = now }
    }

    /// The token request to start at `now`: when lines wait, none is in flight, the wait after a
    /// failed one is over, and the token endpoint's breaker lets one go.
    func fetch(now: Double) -> HTTPRequest? {
        guard !fetching, !waiters.isEmpty, refusal == nil, now >= (retryAt ?? now) else { return nil }
        switch health.breaker.admit(now: now) {
        case .send:
            probing = false
        case .probe:
            probing = true
        case .reject:
            // Another integration's failures opened the shared breaker.
            if case .open(let until) = health.breaker.state { retryAt = until }
            for p in waiters { hold(p, now) }
            return nil
        case .wait:
            // Another integration's request is the probe; look again shortly.
            retryAt = now + 1
            for p in waiters { hold(p, now) }
            return nil
        }
        retryAt = nil
        return request()
    }

    /// When a token request may go next, while lines wait for one.
    var nextDue: Double? { waiters.isEmpty || fetching || refusal != nil ? nil : retryAt }

    /// Lines waiting for a token.
    var waiting: Int { waiters.count }

    /// The token request ended: the lines that go on or fail now, and how it ended.
    func arrived(_ r: HTTPResponse, now: Double) -> (lines: [PendingDelivery], outcome: Outcome) {
        fetching = false
        let at = "the OAuth2 token endpoint \(health.hostPort)"
        let retryable = r.status == 0 || r.status == 408 || r.status == 429 || r.status >= 500
        if retryable {
            let cause = r.transportError.map { "\(at) failed: \($0)" } ?? "\(at) answered \(r.status)"
            let wasOpen = health.breaker.state != .closed && !probing
            health.breaker.record(healthy: false, now: now)
            health.lastFailure = cause
            probing = false
            if case .open(let until) = health.breaker.state { retryAt = until } else { retryAt = now + 1 }
            for p in waiters { hold(p, now) }
            return ([], .failed(cause, breakerOpened: !wasOpen && health.breaker.isOpen))
        }
        probing = false
        health.breaker.record(healthy: true, now: now)
        do {
            guard r.status == 200 else {
                throw DeliveryError(
                    "\(at) refused the client (\(r.status)\(Self.oauthError(r.body, secrets).map { " \($0)" } ?? ""))",
                    hint: "check client_id, client_secret, scope and token_url in the integrations file")
            }
            let (access, expiresIn) = try OAuthTokenSource.parse(r.body)
            // Masked from now on wherever it could come back: a partner echoing the request.
            secrets.addToken(access.text)
            token = access
            // Cached until 60 s before it expires; a shorter lifetime is used once.
            validUntil = expiresIn.map { now + Double($0) - 60 } ?? now + 3600
            let waiting = takeWaiters()
            for p in waiting {
                p.freshToken = access
                p.heldSince = nil
            }
            return (waiting, .token(access))
        } catch {
            let reason = (error as? LTError)?.description ?? "\(error)"
            refusal = reason
            return (takeWaiters(), .refused(reason))
        }
    }

    /// Waiting lines held past `budget` seconds (`--max-elapsed`), removed.
    func expired(now: Double, budget: Double?) -> [PendingDelivery] {
        guard let budget, retryAt != nil || health.breaker.isOpen else { return [] }
        var out: [PendingDelivery] = []
        waiters.removeAll { p in
            guard let start = p.clockStart, p.heldSince != nil, now - start >= budget else { return false }
            out.append(p)
            return true
        }
        return out
    }

    /// The OAuth2 `error` code of a token endpoint's refusal (`invalid_client`), when it gives one.
    static func oauthError(_ body: [UInt8], _ secrets: SecretSet) -> MaskedText? {
        body.withUnsafeBufferPointer { b in
            let s = JSONScanner(b)
            guard let doc = try? s.document(), s.kind(at: doc.lowerBound) == .object,
                let m = try? s.member("error", ofObjectAt: doc.lowerBound), let code = s.string(m),
                !code.isEmpty, code.count <= 64, code.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            else { return nil }
            return secrets.mask(outside: code)
        }
    }

    /// Removes and returns the lines waiting for a token (when the run stops).
    func takeWaiters() -> [PendingDelivery] {
        defer { waiters = [] }
        return waiters
    }

    /// Forgets a token request that was cancelled.
    public func abandon() {
        fetching = false
        probing = false
    }

    /// Forgets `used` after the endpoint answered 401 to it, so the next request fetches a new one.
    public func invalidate(_ used: HeaderValue) {
        if token == used { token = nil }
    }

    /// The access token and its lifetime from the token endpoint's answer. A token that could not
    /// be a header value (empty, or with CR, LF or any control character) is a failed fetch, never sent.
    static func parse(_ body: [UInt8]) throws -> (HeaderValue, Int64?) {
        try body.withUnsafeBufferPointer { b in
            let s = JSONScanner(b)
            guard let doc = try? s.document(), s.kind(at: doc.lowerBound) == .object,
                let m = try? s.member("access_token", ofObjectAt: doc.lowerBound), let token = s.string(m)
            else {
                throw DeliveryError("the OAuth2 token endpoint's answer has no access_token", hint: "check token_url")
            }
            guard let value = try? HeaderValue(token), !token.isEmpty else {
                throw DeliveryError(
                    "the OAuth2 token endpoint's access_token is empty or holds a control character (such as CR or LF)",
                    hint: "the token endpoint answered something that cannot be a header; check token_url")
            }
            let expires = (try? s.member("expires_in", ofObjectAt: doc.lowerBound)).flatMap { $0 }
            return (value, expires.flatMap { JSONNumbers.int64(s, $0.value) })
        }
    }

    private static func formEncode(_ s: String) -> String {
        var out = ""
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(c))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(c >> 4)])
                out.unicodeScalars.append(hex[Int(c & 15)])
            }
        }
        return out
    }
}
