/// What an authenticator may sign or name: one attempt of one line.
public struct AttemptIdentity {
    /// The line's id, checked as a header value where the line was parsed.
    public var id: HeaderValue
    /// Seconds since the epoch, for the signature's timestamp.
    public var timestamp: Int
    public var body: [UInt8]
    /// The OAuth2 access token for this attempt, when the endpoint uses OAuth2.
    public var token: HeaderValue?

    public init(id: HeaderValue, timestamp: Int, body: [UInt8], token: HeaderValue? = nil) {
        self.id = id
        self.timestamp = timestamp
        self.body = body
        self.token = token
    }
}

/// Adds a request's authentication headers, and says what they look like with secrets masked, in
/// one place, so `--dry-run` always shows exactly the headers a real attempt carries.
public protocol RequestAuthenticator: Sendable {
    func headers(_ attempt: AttemptIdentity) -> [HTTPHeader]
    func maskedHeaders(_ attempt: AttemptIdentity) -> [HTTPHeader]
}

/// A static bearer token.
public struct BearerAuthenticator: RequestAuthenticator {
    let token: HeaderValue

    public init(token: HeaderValue) { self.token = token }

    public func headers(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        [HTTPHeader("Authorization", HeaderValue("Bearer ", token))]
    }
    public func maskedHeaders(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        [HTTPHeader("Authorization", "Bearer ***")]
    }
}

/// An OAuth2 client-credentials token, fetched by the event loop (``OAuthTokenSource``) and
/// handed in with the attempt.
public struct OAuth2Authenticator: RequestAuthenticator {
    let tokenURL: HTTPURL

    public init(tokenURL: HTTPURL) { self.tokenURL = tokenURL }

    public func headers(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        attempt.token.map { [HTTPHeader("Authorization", HeaderValue("Bearer ", $0))] } ?? []
    }
    public func maskedHeaders(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        // The token URL was checked as a URL (no control characters) when the file was read.
        [
            HTTPHeader(
                "Authorization",
                HeaderValue(computed: "Bearer *** (OAuth2 token from \(tokenURL.redacted))"))
        ]
    }
}

/// Standard Webhooks signing: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
public struct SigningAuthenticator: RequestAuthenticator {
    let signer: WebhookSigner

    public init(signer: WebhookSigner) { self.signer = signer }

    public func headers(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        signer.headers(id: attempt.id, timestamp: attempt.timestamp, body: attempt.body)
    }
    public func maskedHeaders(_ attempt: AttemptIdentity) -> [HTTPHeader] {
        headers(attempt).map { $0.name == "webhook-signature" ? HTTPHeader($0.name, "v1,***") : $0 }
    }
}
