import CCurl

/// Owns one libcurl easy handle: POSTs a request and reports what came back. Connections are
/// reused between calls; redirects are never followed (a 3xx is the answer, as Standard Webhooks asks).
public final class CurlEasy {
    private let handle: OpaquePointer
    /// Largest part of a response body kept, in bytes.
    public var maxResponseBody = 64 * 1024
    public var caCertPath: String?

    /// Collects what the callbacks see during one transfer.
    final class Sink {
        var body: [UInt8] = []
        var retryAfter: String?
        var limit: Int
        init(limit: Int) { self.limit = limit }
    }

    public init() {
        CurlEasy.globalInit
        handle = OpaquePointer(curl_easy_init())
    }

    deinit { curl_easy_cleanup(UnsafeMutableRawPointer(handle)) }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func post(_ request: HTTPRequest) -> HTTPResponse {
        let h = UnsafeMutableRawPointer(handle)
        let sink = Sink(limit: maxResponseBody)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // An empty Expect stops libcurl from waiting for "100 Continue" on larger bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }
        return request.body.withUnsafeBufferPointer { body -> HTTPResponse in
            lt_curl_setopt_ptr(h, CURLOPT_URL, request.url)
            lt_curl_setopt_long(h, CURLOPT_POST, 1)
            lt_curl_setopt_ptr(h, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafePointer(bitPattern: 1))
            lt_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            lt_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)
            lt_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
            lt_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, 10) * 1000))
            lt_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
            lt_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
            if let ca = caCertPath { lt_curl_setopt_ptr(h, CURLOPT_CAINFO, ca) }
            lt_curl_setopt_ptr(h, CURLOPT_WRITEDATA, sinkPointer)
            lt_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let sink = Unmanaged<CurlEasy.Sink>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                let room = max(0, sink.limit - sink.body.count)
                if room > 0, let data {
                    data.withMemoryRebound(to: UInt8.self, capacity: n) {
                        sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(n, room)))
                    }
                }
                return n
            }
            lt_curl_setopt_ptr(h, CURLOPT_HEADERDATA, sinkPointer)
            lt_curl_setopt_write(h, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                let sink = Unmanaged<CurlEasy.Sink>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                if let data {
                    let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
                    }
                    if line.lowercased().hasPrefix("retry-after:") {
                        sink.retryAfter = line.dropFirst("retry-after:".count).trimmed(" \t\r\n")
                    }
                }
                return n
            }
            let rc = curl_easy_perform(h)
            if rc != CURLE_OK {
                var r = HTTPResponse(status: 0, transportError: String(cString: curl_easy_strerror(rc)))
                r.timedOut = rc == CURLE_OPERATION_TIMEDOUT
                return r
            }
            var status = 0
            lt_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
            return HTTPResponse(status: status, retryAfter: sink.retryAfter, body: sink.body)
        }
    }
}
