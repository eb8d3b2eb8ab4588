/// The SQL API's few blocking requests per batch, through the project's one HTTP client on one
/// reused handle (so the TLS connection is kept between statements).
final class SnowflakeHTTP {
    struct Response {
        var status: Int
        var body: [UInt8]
        /// Set when no HTTP answer arrived (connection refused, timeout, DNS, refused address).
        var transportError: String?
    }

    private let transfer: CurlTransfer

    /// `guarded`: check the destination address (the default Snowflake host); an explicit `host=` in
    /// the address (a private link, a stand-in) is the operator's choice and may be private.
    init(guarded: Bool, environment: [String: String]) throws {
        var settings = TransportSettings()
        settings.allowPrivate = !guarded
        settings.inheritCertificateAuthorities(from: environment)
        // Result partitions are a few megabytes at most; a longer body is an error, never cut short.
        settings.maxResponseBody = 256 << 20
        settings.userAgent = "lt-query/\(LTVersion.current)"
        transfer = try CurlTransfer(settings: settings)
    }

    func request(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Double) -> Response {
        let r = transfer.send(HTTPRequest(method: method == "GET" ? .get : .post, url: url, headers: headers,
                                          body: body ?? [], timeout: timeout))
        if let error = r.transportError { return Response(status: 0, body: [], transportError: error) }
        if r.truncated {
            return Response(status: 0, body: [], transportError: "the answer is larger than \(256 << 20) bytes")
        }
        return Response(status: r.status, body: r.body, transportError: nil)
    }
}
