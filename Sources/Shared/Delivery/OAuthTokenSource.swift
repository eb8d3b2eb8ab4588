/// OAuth2 client credentials for one endpoint: the token request (`grant_type=client_credentials`
/// with the client id and secret, POSTed to the token URL) and the token cached until 60 s before
/// `expires_in`.
///
/// It never sends anything itself: the event loop runs ``request()`` as a transfer next to the
/// deliveries and hands the answer to ``accept(_:now:)``, so a slow token endpoint holds up only
/// its own integration's lines. It is also the gate lines pass on their way out
/// (``gate(_:now:)``): a line goes with the cached token, or waits here for the token request.
public final class OAuthTokenSource {
    public let tokenURL: String
    private let form: [UInt8]
    private let timeout: Double
    private var token: String?
    private var validUntil = 0.0
    /// A token request is in flight.
    public private(set) var fetching = false
    /// Token requests made so far, for `--stats`.
    public private(set) var requests = 0
    /// Lines waiting for the token request in flight.
    private var waiters: [PendingDelivery] = []

    /// What a line about to be sent does.
    enum Gate {
        /// Go, with this token.
        case go(String)
        /// Wait for a token; `fetch` is the token request to start, when none is in flight yet.
        case wait(fetch: HTTPRequest?)
    }

    public init(tokenURL: String, clientID: String, clientSecret: String, scope: String?, timeout: Double) {
        self.tokenURL = tokenURL
        var fields = [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret)]
        if let scope { fields.append(("scope", scope)) }
        form = Array(
            fields.map { "\(OAuthTokenSource.formEncode($0.0))=\(OAuthTokenSource.formEncode($0.1))" }
                .joined(separator: "&").utf8)
        self.timeout = timeout
    }

    /// The cached token while it is valid at `now`.
    public func cached(now: Double) -> String? {
        guard let token, now < validUntil else { return nil }
        return token
    }

    /// The token request to run; the source counts as fetching until ``accept(_:now:)`` or ``abandon()``.
    public func request() -> HTTPRequest {
        fetching = true
        requests += 1
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        return HTTPRequest(url: tokenURL, headers: headers, body: form, timeout: timeout)
    }

    /// Takes the token endpoint's answer: the new token, or an error saying why there is none.
    public func accept(_ r: HTTPResponse, now: Double) throws -> String {
        fetching = false
        guard r.status == 200 else {
            let what = r.transportError.map { "failed: \($0)" } ?? "answered \(r.status)"
            throw DeliveryError(
                "the OAuth2 token endpoint \(what) (\(HTTPURL.hostPort(tokenURL)))",
                hint: "check token_url and the client credentials")
        }
        let (access, expiresIn) = try OAuthTokenSource.parse(r.body)
        token = access
        // Cached until 60 s before it expires; a shorter lifetime is used once.
        validUntil = expiresIn.map { now + Double($0) - 60 } ?? now + 3600
        return access
    }

    /// The token for `p`'s attempt, or `p` parked here until the token request is answered.
    func gate(_ p: PendingDelivery, now: Double) -> Gate {
        let token = p.freshToken ?? cached(now: now)
        p.freshToken = nil
        if let token {
            p.tokenUsed = token
            return .go(token)
        }
        waiters.append(p)
        return .wait(fetch: fetching ? nil : request())
    }

    /// After a 401 to `p`'s attempt: forgets the token it used and parks `p` for a fresh one, once
    /// per line. Nil when `p` already had its fresh token (the 401 then counts as a failed attempt).
    func refresh(after401 p: PendingDelivery) -> Gate? {
        guard !p.refreshedToken, let used = p.tokenUsed else { return nil }
        // A token revoked or expired early: fetch a fresh one and try again, once.
        p.refreshedToken = true
        invalidate(used)
        waiters.append(p)
        return .wait(fetch: fetching ? nil : request())
    }

    /// The token request ended: the lines that waited for it, each handed the new token, and the
    /// token or why there is none.
    func arrived(_ r: HTTPResponse, now: Double) -> (waiters: [PendingDelivery], token: Result<String, any Error>) {
        let waiting = takeWaiters()
        do {
            let token = try accept(r, now: now)
            for p in waiting { p.freshToken = token }
            return (waiting, .success(token))
        } catch {
            return (waiting, .failure(error))
        }
    }

    /// Removes and returns the lines waiting for a token (when the run stops).
    func takeWaiters() -> [PendingDelivery] {
        defer { waiters = [] }
        return waiters
    }

    /// Forgets a token request that was cancelled.
    public func abandon() { fetching = false }

    /// Forgets `used` after the endpoint answered 401 to it, so the next request fetches a new one.
    public func invalidate(_ used: String) {
        if token == used { token = nil }
    }

    static func parse(_ body: [UInt8]) throws -> (String, Int64?) {
        try body.withUnsafeBufferPointer { b in
            let s = JSONScanner(b)
            guard let doc = try? s.document(), s.kind(at: doc.lowerBound) == .object,
                let m = try? s.member("access_token", ofObjectAt: doc.lowerBound), let token = s.string(m)
            else {
                throw DeliveryError("the OAuth2 token endpoint's answer has no access_token", hint: "check token_url")
            }
            let expires = (try? s.member("expires_in", ofObjectAt: doc.lowerBound)).flatMap { $0 }
            return (token, expires.flatMap { JSONNumbers.int64(s, $0.value) })
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
