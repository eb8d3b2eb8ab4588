#if canImport(Glibc)
import Glibc
#endif
import CCurl

/// How every transfer is made: TLS trust, the address guard and the response cap.
public struct TransportSettings: Sendable {
    /// CA certificates file (`--cacert`); libcurl's default bundle otherwise.
    public var caCertPath: String?
    /// Allow destinations on loopback, private, link-local and reserved addresses.
    public var allowPrivate = false
    /// Networks allowed although not public (`--allow-address`).
    public var allowedNetworks: [AddressGuard.Network] = []
    /// Largest part of a response body kept, in bytes; the rest is read and dropped.
    public var maxResponseBody = 64 * 1024
    public var userAgent = "lt-send/\(LTVersion.current)"

    public init() {}
}

/// Owns one libcurl easy handle, reused request after request so its connection stays warm.
///
/// Redirects are never followed (a 3xx is the answer, as Standard Webhooks asks); TLS is verified;
/// `HTTPS_PROXY`/`NO_PROXY` work as libcurl reads them. Before a request leaves, the address
/// actually connected to is checked by ``AddressGuard``, so DNS tricks cannot bypass it.
public final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    private let settings: TransportSettings
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// What the callbacks collected during the current transfer.
    var responseBody: [UInt8] = []
    var retryAfter: String?
    var refusedAddress: String?
    /// The line this transfer is working for, while it is in flight.
    var owner: AnyObject?
    var startedAt = 0.0

    public init(settings: TransportSettings) {
        CurlTransfer.globalInit
        handle = curl_easy_init()
        self.settings = settings
        let me = Unmanaged.passUnretained(self).toOpaque()
        let h = handle
        lt_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        lt_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        lt_curl_setopt_ptr(h, CURLOPT_PROTOCOLS_STR, "http,https")
        lt_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        lt_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        lt_curl_setopt_ptr(h, CURLOPT_USERAGENT, settings.userAgent)
        if let ca = settings.caCertPath { lt_curl_setopt_ptr(h, CURLOPT_CAINFO, ca) }
        lt_curl_setopt_ptr(h, CURLOPT_WRITEDATA, me)
        lt_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            let t = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            let room = max(0, t.settings.maxResponseBody - t.responseBody.count)
            if room > 0, let data {
                data.withMemoryRebound(to: UInt8.self, capacity: n) {
                    t.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(n, room)))
                }
            }
            return n
        }
        lt_curl_setopt_ptr(h, CURLOPT_HEADERDATA, me)
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
        }
        lt_curl_setopt_ptr(h, CURLOPT_PREREQDATA, me)
        lt_curl_setopt_prereq(h) { user, primaryIP, _, _, _ in
            let t = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
            guard !t.settings.allowPrivate, let primaryIP else { return CURL_PREREQFUNC_OK }
            let ip = String(cString: primaryIP)
            if AddressGuard.isPublic(ip) || t.settings.allowedNetworks.contains(where: { $0.contains(ip) }) { return CURL_PREREQFUNC_OK }
            t.refusedAddress = ip
            return CURL_PREREQFUNC_ABORT
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    /// curl_global_init, run once before the first handle of any kind.
    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Sets up the handle for `request`; libcurl copies the body, so the caller's bytes may go.
    func prepare(_ request: HTTPRequest) {
        let h = handle
        responseBody.removeAll(keepingCapacity: true)
        retryAfter = nil
        refusedAddress = nil
        curl_slist_free_all(headerList)
        headerList = nil
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // An empty Expect stops libcurl from waiting for "100 Continue" on larger bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        lt_curl_setopt_ptr(h, CURLOPT_URL, request.url)
        lt_curl_setopt_long(h, CURLOPT_POST, 1)
        lt_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
        _ = request.body.withUnsafeBufferPointer { b in
            lt_curl_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, b.baseAddress ?? UnsafePointer(bitPattern: 1))
        }
        lt_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)
        lt_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        lt_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, 10) * 1000))
    }

    /// Runs the prepared request to its end on this thread (for the occasional OAuth2 token request).
    func perform() -> HTTPResponse {
        response(curl_easy_perform(handle))
    }

    /// What the finished transfer amounts to, given libcurl's result code.
    func response(_ code: CURLcode) -> HTTPResponse {
        var r: HTTPResponse
        var status = 0
        lt_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        // A final status that arrived is the receiver's verdict, even if the transfer then ended in an
        // error: nginx answers before reading the body and resets the HTTP/2 stream with NO_ERROR,
        // which libcurl 7.88 reports as a stream error (RFC 9113 §8.1 allows the server to do so).
        if code != CURLE_OK && status < 200 {
            if let refused = refusedAddress {
                r = HTTPResponse(status: 0, transportError: "refused: \(refused) is a loopback, private, link-local or reserved address (pass --allow-private or --allow-address to allow it)")
                r.permanent = true
            } else {
                r = HTTPResponse(status: 0, transportError: String(cString: curl_easy_strerror(code)))
                r.timedOut = code == CURLE_OPERATION_TIMEDOUT
                r.permanent = CurlTransfer.permanentCodes.contains(code.rawValue)
            }
        } else {
            r = HTTPResponse(status: status, retryAfter: retryAfter, body: responseBody)
        }
        var total: curl_off_t = 0
        lt_curl_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &total)
        r.seconds = Double(total) / 1e6
        return r
    }

    /// Transport errors another attempt will not cure: bad URLs, TLS trust and certificate problems.
    private static let permanentCodes: Set<UInt32> = [
        CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_PEER_FAILED_VERIFICATION,
        CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_TOO_MANY_REDIRECTS,
    ].reduce(into: []) { $0.insert($1.rawValue) }
}
