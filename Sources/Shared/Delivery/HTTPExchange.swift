/// One POST to send.
public struct HTTPRequest: Sendable {
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Seconds the whole attempt may take.
    public var timeout: Double

    public init(url: String, headers: [(String, String)], body: [UInt8], timeout: Double) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What came back: an HTTP status, or a transport error (status 0).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The `Retry-After` header, when the server sent one.
    public var retryAfter: String?
    /// The start of the response body, up to the client's cap.
    public var body: [UInt8]
    /// The transport error (connection refused, timeout, …) when no response arrived.
    public var transportError: String?
    /// True when the transfer failed by timing out.
    public var timedOut = false
    /// True for a transport error another attempt will not cure (TLS trust, refused address, bad URL).
    public var permanent = false
    /// How long the attempt took, in seconds.
    public var seconds = 0.0

    public init(status: Int, retryAfter: String? = nil, body: [UInt8] = [], transportError: String? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
        self.transportError = transportError
    }
}
