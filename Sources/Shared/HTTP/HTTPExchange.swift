/// One request to send.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method = .post
    public var url: String
    /// Checked headers only: nothing reaches the wire as raw text.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Seconds the whole attempt may take.
    public var timeout: Double
    /// The certificate presented when the server asks for one (mutual TLS).
    public var clientCertificate: ClientCertificate?

    public init(
        method: Method = .post, url: String, headers: [HTTPHeader], body: [UInt8], timeout: Double,
        clientCertificate: ClientCertificate? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.clientCertificate = clientCertificate
    }
}

/// What came back: an HTTP status, or a transport error (status 0).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The `Retry-After` header, when the server sent one.
    public var retryAfter: String?
    /// The start of the response body, up to the client's cap.
    public var body: [UInt8]
    /// True when the body was longer than the cap and `body` holds only its start.
    public var truncated = false
    /// The transport error (connection refused, timeout, …) when no response arrived: libcurl's
    /// detailed text, with the TLS verification result where there is one.
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
