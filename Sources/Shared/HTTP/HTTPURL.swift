import CCurl

/// An endpoint or token URL, parsed at start-up with libcurl's own URL parser (the one that will
/// send it), so a URL that cannot be sent is a configuration error before any line is read. It is
/// parsed once, where it enters (the command line, the integrations file), and carried inward as
/// this type: every later use (the per-host key, the host named in failures, the text without its
/// query) reads its parts and never parses the text again.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as written, sent as it is.
    public let text: String
    public let scheme: String
    public let host: String
    public let port: Int
    /// True when the URL has a query string, which results and logs leave out.
    public let hasQuery: Bool

    /// Parses `text`; `what` names it in errors (`--url`, `integration partner's url`). Plain http
    /// is refused unless `allowHTTP` (see also ``requireHTTPS(what:allowHTTP:)``).
    public init(_ text: String, what: String, allowHTTP: Bool) throws {
        CurlTransfer.globalInit
        guard let u = curl_url() else { throw ConfigError("\(what): out of memory parsing the URL") }
        defer { curl_url_cleanup(u) }
        let rc = lt_curl_url_set(u, CURLUPART_URL, text, 0)
        guard rc == CURLUE_OK else {
            throw ConfigError(
                "\(what) is not a URL libcurl can send (\(String(cString: curl_url_strerror(rc))))",
                hint: "write it as https://host[:port]/path")
        }
        func part(_ p: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var out: UnsafeMutablePointer<CChar>?
            guard lt_curl_url_get(u, p, &out, flags) == CURLUE_OK, let out else { return nil }
            defer { curl_free(out) }
            return String(cString: out)
        }
        let scheme = part(CURLUPART_SCHEME)?.lowercased() ?? ""
        let host = part(CURLUPART_HOST) ?? ""
        // Before anything that prints the URL: userinfo may hold a password.
        if part(CURLUPART_USER) != nil || part(CURLUPART_PASSWORD) != nil {
            throw ConfigError(
                "\(what) has a user name or password in it (\(scheme)://…@\(host))",
                hint: "remove them from the URL and set auth in the integrations file instead")
        }
        guard scheme == "https" || scheme == "http" else {
            throw ConfigError("\(what) is not an http(s) URL (scheme \"\(scheme)\")", hint: "use an https:// URL")
        }
        guard !host.isEmpty else {
            throw ConfigError("\(what) has no host", hint: "write it as https://host[:port]/path")
        }
        self.text = text
        self.scheme = scheme
        self.host = host
        port = part(CURLUPART_PORT, UInt32(CURLU_DEFAULT_PORT)).flatMap { Int($0) } ?? (scheme == "https" ? 443 : 80)
        hasQuery = part(CURLUPART_QUERY) != nil
        try requireHTTPS(what: what, allowHTTP: allowHTTP)
    }

    /// Refuses plain http unless `allowHTTP`: a URL read from a file before the command line's
    /// `--allow-http` is known is parsed with `allowHTTP: true` and judged by this once it is.
    public func requireHTTPS(what: String, allowHTTP: Bool) throws {
        guard scheme == "http", !allowHTTP else { return }
        throw ConfigError(
            "\(what) uses plain http (\(redacted.prefix(80)))",
            hint: "use https, or pass --allow-http for a test receiver")
    }

    /// `scheme://host:port`, in lower case and with the port filled in from the scheme when the URL
    /// has none: what `--per-host` counts by, so `https://a`, `HTTPS://A/x` and `https://a:443` are
    /// one host.
    public var origin: String { "\(scheme)://\(host.lowercased()):\(port)" }

    /// `host:port`, the port filled in from the scheme when the URL has none, named in failure causes.
    public var hostPort: String { "\(host):\(port)" }

    /// The URL without its query string and fragment, for results, logs and metrics.
    public var redacted: String { HTTPURL.withoutQuery(text) }

    public var description: String { redacted }

    /// `text` cut at its first `?` or `#`.
    public static func withoutQuery(_ text: String) -> String {
        String(text[..<(text.firstIndex { $0 == "?" || $0 == "#" } ?? text.endIndex)])
    }
}
