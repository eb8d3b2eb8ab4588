/// The SQL API's requests, several at once, through the project's one HTTP client: one
/// ``CurlMulti`` (its connection cache keeps the TLS connections between statements) and a pool of
/// reused ``CurlTransfer``s. Each request carries a tag; ``perform(waitingUpTo:)`` hands back the
/// answers that arrived, with their tags.
final class SnowflakeHTTP {
    struct Request {
        var method: HTTPRequest.Method
        var url: String
        var headers: [HTTPHeader]
        var body: [UInt8]
        var timeout: Double
    }

    struct Response {
        var status: Int
        var body: [UInt8]
        /// Set when no HTTP answer arrived (connection refused, timeout, DNS, refused address).
        var transportError: String?
    }

    private let settings: TransportSettings
    private let multi: CurlMulti
    private var spare: [CurlTransfer] = []
    private var tags: [ObjectIdentifier: Int] = [:]
    /// Answers not yet handed back: requests that could not start.
    private var ready: [(Int, Response)] = []

    /// `guarded`: check the destination address (the default Snowflake host); an explicit `host=` in
    /// the address (a private link, a stand-in) is the operator's choice and may be private.
    init(guarded: Bool, environment: [String: String]) throws {
        var settings = TransportSettings()
        settings.allowPrivate = !guarded
        settings.inheritCertificateAuthorities(from: environment)
        // Result partitions are a few megabytes at most; a longer body is an error, never cut short.
        settings.maxResponseBody = 256 << 20
        settings.userAgent = "lt-query/\(LTVersion.current)"
        self.settings = settings
        multi = try CurlMulti(maxConnections: 16)
    }

    /// Requests started and not yet handed back.
    var inFlight: Int { multi.inFlight + ready.count }

    /// Starts `request`; its answer comes back from ``perform(waitingUpTo:)`` with `tag`.
    func start(_ request: Request, tag: Int) {
        do {
            let t = try spare.popLast() ?? CurlTransfer(settings: settings)
            try t.prepare(
                HTTPRequest(
                    method: request.method, url: request.url, headers: request.headers,
                    body: request.body, timeout: request.timeout))
            tags[ObjectIdentifier(t)] = tag
            multi.add(t)
        } catch {
            ready.append((tag, Response(status: 0, body: [], transportError: "\(error)")))
        }
    }

    /// Moves the requests along, waiting at most `seconds` for activity, and returns those that ended.
    func perform(waitingUpTo seconds: Double) -> [(tag: Int, response: Response)] {
        var done = ready
        ready.removeAll()
        guard multi.inFlight > 0 else { return done }
        take(multi.perform(), into: &done)
        if done.isEmpty && seconds > 0 {
            _ = multi.wait(fds: [], milliseconds: Int((seconds * 1000).rounded(.up)))
            take(multi.perform(), into: &done)
        }
        return done
    }

    private func take(_ finished: [(CurlTransfer, HTTPResponse)], into done: inout [(Int, Response)]) {
        for (t, r) in finished {
            guard let tag = tags.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            spare.append(t)
            if let error = r.transportError {
                done.append((tag, Response(status: 0, body: [], transportError: error)))
            } else if r.truncated {
                let error = "the answer is larger than \(settings.maxResponseBody) bytes"
                done.append((tag, Response(status: 0, body: [], transportError: error)))
            } else {
                done.append((tag, Response(status: r.status, body: r.body, transportError: nil)))
            }
        }
    }
}
