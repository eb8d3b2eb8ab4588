import CCurl

/// A blocking HTTPS client for the SQL API's few requests per batch, on one reused libcurl
/// easy handle (so the TLS connection is kept between statements).
final class SnowflakeHTTP {
    struct Response {
        var status: Int
        var body: [UInt8]
        /// Set when no HTTP answer arrived (connection refused, timeout, DNS).
        var transportError: String?
    }

    private let handle = UnsafeMutableRawPointer(curl_easy_init())
    /// Most of a response body kept; result partitions are a few megabytes at most.
    var maxBody = 256 << 20

    final class Sink {
        var body: [UInt8] = []
        var limit: Int
        init(limit: Int) { self.limit = limit }
    }

    deinit { curl_easy_cleanup(handle) }

    func request(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Double) -> Response {
        let h = handle
        let sink = Sink(limit: maxBody)
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }
        curl_easy_reset(h)
        lt_curl_setopt_ptr(h, CURLOPT_URL, url)
        lt_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, list)
        lt_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        lt_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(min(timeout, 10) * 1000))
        lt_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        lt_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        lt_curl_setopt_ptr(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        lt_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            let sink = Unmanaged<SnowflakeHTTP.Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            guard sink.body.count + n <= sink.limit else { return 0 }
            data!.withMemoryRebound(to: UInt8.self, capacity: n) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        let perform = { () -> CURLcode in
            if method == "POST" {
                lt_curl_setopt_long(h, CURLOPT_POST, 1)
                let bytes = body ?? []
                return bytes.withUnsafeBufferPointer { b in
                    lt_curl_setopt_ptr(h, CURLOPT_POSTFIELDS, b.baseAddress ?? UnsafePointer(bitPattern: 1))
                    lt_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count))
                    return curl_easy_perform(h)
                }
            }
            lt_curl_setopt_long(h, CURLOPT_HTTPGET, 1)
            return curl_easy_perform(h)
        }
        let rc = perform()
        if rc != CURLE_OK { return Response(status: 0, body: [], transportError: String(cString: curl_easy_strerror(rc))) }
        var status = 0
        lt_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, body: sink.body, transportError: nil)
    }
}
