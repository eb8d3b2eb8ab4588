import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// Owns one libcurl easy handle, reused request after request so its connection stays warm.
/// It is the project's one HTTP client: lt-send's deliveries, OAuth2 token requests and the
/// Snowflake SQL API all go through it, by way of ``CurlTransport`` and ``CurlMulti``.
///
/// Every option is set by a named setter that checks libcurl's answer. The options safety depends
/// on are set once, here: only http and https; redirects never followed (a 3xx is the answer, as
/// Standard Webhooks asks); TLS 1.2 at least, verified against `--cacert` or the CA named by the
/// environment; and the destination check, made on each resolved address *before* its socket
/// connects (libcurl's open-socket callback), so a forbidden address never receives a packet and
/// every refusal reads the same whatever the state of its port. `HTTPS_PROXY`/`NO_PROXY` work as
/// libcurl reads them; behind a proxy the address checked is the proxy's.
public final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    private let settings: TransportSettings
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl's detailed text for the last failure (CURLOPT_ERRORBUFFER).
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// What the callbacks collected during the current transfer.
    var responseBody: [UInt8] = []
    var truncated = false
    var retryAfter: String?
    var refusedAddress: String?
    var startedAt = 0.0
    /// True while the handle is in a ``CurlMulti``; such a handle must not be prepared again.
    var isAttached = false

    public init(settings: TransportSettings) throws {
        CurlTransfer.globalInit
        guard let h = curl_easy_init() else {
            throw HTTPSetupError(option: "curl_easy_init", code: "out of memory", safety: nil)
        }
        handle = h
        self.settings = settings
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR", safety: "the http/https restriction")
        try set(CURLOPT_FOLLOWLOCATION, 0, "CURLOPT_FOLLOWLOCATION", safety: "never following redirects")
        try set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2), "CURLOPT_SSLVERSION", safety: "the TLS 1.2 minimum")
        try set(CURLOPT_SSL_VERIFYPEER, 1, "CURLOPT_SSL_VERIFYPEER", safety: "TLS verification")
        try set(CURLOPT_SSL_VERIFYHOST, 2, "CURLOPT_SSL_VERIFYHOST", safety: "TLS verification")
        if let ca = settings.caCertPath { try set(CURLOPT_CAINFO, ca, "CURLOPT_CAINFO", safety: "TLS trust") }
        if let dir = settings.caCertDirectory { try set(CURLOPT_CAPATH, dir, "CURLOPT_CAPATH", safety: "TLS trust") }
        try set(CURLOPT_OPENSOCKETDATA, me, "CURLOPT_OPENSOCKETDATA", safety: "the destination address check")
        try check(
            lt_curl_setopt_opensocket(h) { user, _, address in
                let t = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                guard let address else { return -1 }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
                guard lt_curl_sockaddr_ip(address, &text, socklen_t(text.count)) == 0 else {
                    t.refusedAddress = "a non-IP address"
                    return -1
                }
                let ip = String(cString: text)
                guard t.settings.admits(ip) else {
                    t.refusedAddress = ip
                    return -1  // CURL_SOCKET_BAD: libcurl moves to the next address, or fails the transfer
                }
                return lt_curl_open_socket(address)
            }, "CURLOPT_OPENSOCKETFUNCTION", safety: "the destination address check")
        try set(CURLOPT_ERRORBUFFER, UnsafeRawPointer(errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS), "CURLOPT_HTTP_VERSION")
        try set(CURLOPT_TCP_KEEPALIVE, 1, "CURLOPT_TCP_KEEPALIVE")
        try set(CURLOPT_USERAGENT, settings.userAgent, "CURLOPT_USERAGENT")
        // The one write sink: keeps the body up to the cap, reads and drops the rest.
        try set(CURLOPT_WRITEDATA, me, "CURLOPT_WRITEDATA")
        try check(
            lt_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let t = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                let room = max(0, t.settings.maxResponseBody - t.responseBody.count)
                if n > room { t.truncated = true }
                if room > 0, let data {
                    data.withMemoryRebound(to: UInt8.self, capacity: n) {
                        t.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(n, room)))
                    }
                }
                return n
            }, "CURLOPT_WRITEFUNCTION")
        try set(CURLOPT_HEADERDATA, me, "CURLOPT_HEADERDATA")
        try check(
            lt_curl_setopt_write(h, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                let t = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                // Only Retry-After matters; compare its name without building a String per header.
                if let data, n > 12 {
                    let isRetryAfter = data.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                        strncasecmp(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self), "retry-after:", 12) == 0
                    }
                    if isRetryAfter {
                        let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
                            String(decoding: UnsafeBufferPointer(start: $0 + 12, count: n - 12), as: UTF8.self)
                        }
                        t.retryAfter = line.trimmed(" \t\r\n")
                    }
                }
                return n
            }, "CURLOPT_HEADERFUNCTION")
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// curl_global_init, run once before the first handle of any kind.
    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    // MARK: - Checked setters

    private func check(_ code: CURLcode, _ name: String, safety: String? = nil) throws {
        guard code != CURLE_OK else { return }
        throw HTTPSetupError(option: name, code: String(cString: curl_easy_strerror(code)), safety: safety)
    }

    private func set(_ option: CURLoption, _ value: Int, _ name: String, safety: String? = nil) throws {
        try check(lt_curl_setopt_long(handle, option, value), name, safety: safety)
    }

    /// libcurl copies string options, so `value` may go once this returns.
    private func set(_ option: CURLoption, _ value: String?, _ name: String, safety: String? = nil) throws {
        let code = value.map { lt_curl_setopt_ptr(handle, option, $0) } ?? lt_curl_setopt_ptr(handle, option, nil)
        try check(code, name, safety: safety)
    }

    private func set(_ option: CURLoption, _ value: UnsafeRawPointer?, _ name: String, safety: String? = nil) throws {
        try check(lt_curl_setopt_ptr(handle, option, value), name, safety: safety)
    }

    private func set(_ option: CURLoption, _ value: UnsafeMutableRawPointer?, _ name: String, safety: String? = nil)
        throws
    {
        try check(lt_curl_setopt_ptr(handle, option, value), name, safety: safety)
    }

    // MARK: - Requests

    /// Sets up the handle for `request`; libcurl copies the body, so the caller's bytes may go.
    /// Throws when libcurl refuses one of the request's options (a URL it cannot take, say).
    func prepare(_ request: HTTPRequest) throws {
        responseBody.removeAll(keepingCapacity: true)
        truncated = false
        retryAfter = nil
        refusedAddress = nil
        errorBuffer[0] = 0
        curl_slist_free_all(headerList)
        headerList = nil
        for h in request.headers {
            headerList = curl_slist_append(headerList, "\(h.name.text): \(h.value.text)")
        }
        // An empty Expect stops libcurl from waiting for "100 Continue" on larger bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        try set(CURLOPT_URL, request.url, "CURLOPT_URL")
        switch request.method {
        case .post:
            try set(CURLOPT_POST, 1, "CURLOPT_POST")
            try check(
                lt_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                "CURLOPT_POSTFIELDSIZE_LARGE")
            try request.body.withUnsafeBufferPointer { b in
                try set(
                    CURLOPT_COPYPOSTFIELDS, UnsafeRawPointer(b.baseAddress ?? UnsafePointer(bitPattern: 1)!),
                    "CURLOPT_COPYPOSTFIELDS")
            }
        case .get:
            try set(CURLOPT_HTTPGET, 1, "CURLOPT_HTTPGET")
        }
        try set(CURLOPT_HTTPHEADER, UnsafeRawPointer(headerList), "CURLOPT_HTTPHEADER")
        try set(CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000), "CURLOPT_TIMEOUT_MS")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, 10) * 1000), "CURLOPT_CONNECTTIMEOUT_MS")
        let cert = request.clientCertificate
        try set(CURLOPT_SSLCERT, cert?.certificatePath, "CURLOPT_SSLCERT")
        try set(CURLOPT_SSLKEY, cert?.keyPath, "CURLOPT_SSLKEY")
        // Always a passphrase with a certificate, empty when none was given: without one, OpenSSL
        // would prompt on the terminal should the key be encrypted (it is checked at start-up too).
        try set(CURLOPT_KEYPASSWD, cert.map { $0.keyPassword ?? "" }, "CURLOPT_KEYPASSWD")
    }

    /// What the finished transfer amounts to, given libcurl's result code.
    func response(_ code: CURLcode) -> HTTPResponse {
        var r: HTTPResponse
        var status = 0
        let statusRead = lt_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if statusRead != CURLE_OK { status = 0 }
        // A final status that arrived is the receiver's verdict, even if the transfer then ended in an
        // error: nginx answers before reading the body and resets the HTTP/2 stream with NO_ERROR,
        // which libcurl 7.88 reports as a stream error (RFC 9113 §8.1 allows the server to do so).
        if code != CURLE_OK && status < 200 {
            if let refused = refusedAddress {
                r = HTTPResponse(status: 0, transportError: TransportSettings.refusal(refused))
                r.permanent = true
            } else {
                r = HTTPResponse(status: 0, transportError: transportError(code))
                r.timedOut = code == CURLE_OPERATION_TIMEDOUT
                r.permanent = CurlTransfer.permanentCodes.contains(code.rawValue)
            }
        } else if statusRead != CURLE_OK {
            // Without the status nothing can be said of the answer: the attempt counts as failed.
            r = HTTPResponse(
                status: 0,
                transportError: "libcurl could not give the answer's status: "
                    + String(cString: curl_easy_strerror(statusRead)))
        } else {
            r = HTTPResponse(status: status, retryAfter: retryAfter, body: responseBody)
            r.truncated = truncated
        }
        var total: curl_off_t = 0
        r.seconds =
            lt_curl_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK
            ? Double(total) / 1e6 : Timestamps.monotonic() - startedAt
        return r
    }

    /// libcurl's detailed text (its error buffer, else the code's text) and, for a TLS failure, the
    /// verification result and a hint at `--cacert`.
    private func transportError(_ code: CURLcode) -> String {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        guard CurlTransfer.tlsCodes.contains(code.rawValue) else { return detail }
        var verify = 0
        let known = lt_curl_getinfo_long(handle, CURLINFO_SSL_VERIFYRESULT, &verify) == CURLE_OK
        let result = known && verify != 0 ? " (TLS verification result \(verify))" : ""
        return "\(detail)\(result); if the endpoint's certificate comes from a private CA, "
            + "pass that CA with --cacert (or CURL_CA_BUNDLE)"
    }

    /// Transport errors another attempt will not cure: bad URLs, TLS trust and certificate problems.
    private static let permanentCodes: Set<UInt32> = [
        CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_PEER_FAILED_VERIFICATION,
        CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_TOO_MANY_REDIRECTS,
    ].reduce(into: []) { $0.insert($1.rawValue) }

    /// Failures of TLS trust, where the verification result and `--cacert` help.
    private static let tlsCodes: Set<UInt32> = [
        CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CONNECT_ERROR,
    ].reduce(into: []) { $0.insert($1.rawValue) }
}
