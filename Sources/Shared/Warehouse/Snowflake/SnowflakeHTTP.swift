/// The SQL API's requests, several at once, through the project's one HTTP request adapter
/// (``CurlTransport``: its connection cache keeps the TLS connections between statements). It adds
/// only what Snowflake needs: the destination check when the host is Snowflake's own, the CA bundle
/// from the environment, and a body cap that is an error, never a cut.
final class SnowflakeHTTP {
    private let transport: CurlTransport

    /// `guarded`: check the destination address (the default Snowflake host); an explicit `host=` in
    /// the address (a private link, a stand-in) is the operator's choice and may be private.
    init(guarded: Bool, environment: [String: String]) throws {
        var settings = TransportSettings()
        settings.allowPrivate = !guarded
        settings.inheritCertificateAuthorities(from: environment)
        // Result partitions are a few megabytes at most; a longer body is an error, never cut short.
        settings.maxResponseBody = 256 << 20
        settings.userAgent = "lt-query/\(LTVersion.current)"
        transport = try CurlTransport(settings: settings, maxConnections: 16)
    }

    /// Requests started and not yet handed back.
    var inFlight: Int { transport.inFlight }

    /// Starts `request`; its answer comes back from ``perform(waitingUpTo:)`` with `tag`.
    func start(_ request: HTTPRequest, tag: Int) { transport.start(request, tag: tag) }

    /// Moves the requests along, waiting at most `seconds` for activity, and returns those that
    /// ended. A body over the cap is a transport error: a partition cut short would lose rows.
    func perform(waitingUpTo seconds: Double) -> [(tag: Int, response: HTTPResponse)] {
        transport.perform(waitingUpTo: seconds).map { tag, r in
            guard r.transportError == nil, r.truncated else { return (tag, r) }
            return (
                tag,
                HTTPResponse(
                    status: 0, transportError: "the answer is larger than \(transport.settings.maxResponseBody) bytes")
            )
        }
    }
}
