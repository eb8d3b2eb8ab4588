import CCurl

/// The SQL API's HTTPS requests, several at once on one libcurl multi handle (its connection cache
/// keeps the TLS connections between statements). Each request carries a tag; ``perform(waitingUpTo:)``
/// hands back the answers that arrived, with their tags.
final class SnowflakeHTTP {
    struct Request {
        var method: String
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]?
        var timeout: Double
    }

    struct Response {
        var status: Int
        var body: [UInt8]
        /// Set when no HTTP answer arrived (connection refused, timeout, DNS).
        var transportError: String?
    }

    /// One easy handle and what its callbacks collect; reused from request to request.
    final class Transfer {
        let handle: UnsafeMutableRawPointer
        var body: [UInt8] = []
        var limit: Int
        var headerList: UnsafeMutablePointer<curl_slist>?
        var tag = 0
        /// The first setter that failed while preparing, reported as the request's transport error.
        var setupError: String?

        init(limit: Int) {
            handle = curl_easy_init()
            self.limit = limit
        }

        deinit {
            curl_easy_cleanup(handle)
            curl_slist_free_all(headerList)
        }

        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK && setupError == nil {
                setupError = "cannot set \(what): \(String(cString: curl_easy_strerror(code)))"
            }
        }

        func prepare(_ r: Request) {
            let h = handle
            curl_easy_reset(h)
            body.removeAll(keepingCapacity: true)
            setupError = nil
            curl_slist_free_all(headerList)
            headerList = nil
            for (name, value) in r.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
            headerList = curl_slist_append(headerList, "Expect:")
            check(lt_curl_setopt_ptr(h, CURLOPT_URL, r.url), "the URL")
            check(lt_curl_setopt_ptr(h, CURLOPT_PROTOCOLS_STR, "http,https"), "the protocols")
            check(lt_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList), "the headers")
            check(lt_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(r.timeout * 1000)), "the timeout")
            let connectTimeout = Int(min(r.timeout, 10) * 1000)
            check(lt_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout), "the connect timeout")
            check(lt_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
            check(lt_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0), "no redirects")
            check(lt_curl_setopt_ptr(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()), "the sink")
            check(lt_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                guard t.body.count + n <= t.limit, let data else { return 0 }
                data.withMemoryRebound(to: UInt8.self, capacity: n) {
                    t.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
                }
                return n
            }, "the write function")
            if r.method == "POST" {
                let bytes = r.body ?? []
                check(lt_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
                check(lt_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)), "the body size")
                // COPYPOSTFIELDS: libcurl keeps its own copy while the transfer runs.
                check(bytes.withUnsafeBufferPointer { b in
                    lt_curl_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, b.baseAddress ?? UnsafePointer(bitPattern: 1))
                }, "the body")
            } else {
                check(lt_curl_setopt_long(h, CURLOPT_HTTPGET, 1), "GET")
            }
        }

        func response(_ code: CURLcode) -> Response {
            if code != CURLE_OK {
                return Response(status: 0, body: [], transportError: String(cString: curl_easy_strerror(code)))
            }
            var status = 0
            let rc = lt_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            if rc != CURLE_OK { return Response(status: 0, body: [], transportError: "no response code") }
            return Response(status: status, body: body, transportError: nil)
        }
    }

    private let multi: UnsafeMutableRawPointer
    private var running: [UnsafeMutableRawPointer: Transfer] = [:]
    private var spare: [Transfer] = []
    /// Answers not yet handed back: requests that could not start (a setter or the multi handle
    /// refused), and answers that arrived while ``request(_:)`` waited for its own.
    private var ready: [(Int, Response)] = []
    /// Most of a response body kept; result partitions are a few megabytes at most.
    var maxBody = 256 << 20

    init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        multi = curl_multi_init()
    }

    deinit {
        for (h, _) in running { curl_multi_remove_handle(multi, h) }
        curl_multi_cleanup(multi)
    }

    var inFlight: Int { running.count + ready.count }

    /// Starts `request`; its answer comes back from ``perform(waitingUpTo:)`` with `tag`.
    func start(_ request: Request, tag: Int) {
        let t = spare.popLast() ?? Transfer(limit: maxBody)
        t.limit = maxBody
        t.tag = tag
        t.prepare(request)
        if let e = t.setupError {
            spare.append(t)
            ready.append((tag, Response(status: 0, body: [], transportError: e)))
            return
        }
        let rc = curl_multi_add_handle(multi, t.handle)
        guard rc == CURLM_OK else {
            spare.append(t)
            let message = String(cString: curl_multi_strerror(rc))
            ready.append((tag, Response(status: 0, body: [], transportError: message)))
            return
        }
        running[t.handle] = t
    }

    /// Moves the requests along, waiting at most `seconds` for activity, and returns those that ended.
    func perform(waitingUpTo seconds: Double) -> [(tag: Int, response: Response)] {
        var done = ready
        ready.removeAll()
        guard !running.isEmpty else { return done }
        var stillRunning: Int32 = 0
        _ = curl_multi_perform(multi, &stillRunning)
        collectDone(into: &done)
        if done.isEmpty && seconds > 0 {
            var n: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, Int32((seconds * 1000).rounded(.up)), &n)
            _ = curl_multi_perform(multi, &stillRunning)
            collectDone(into: &done)
        }
        return done
    }

    private func collectDone(into done: inout [(Int, Response)]) {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                  let t = running.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            done.append((t.tag, t.response(lt_curl_msg_result(msg))))
            t.body = []
            spare.append(t)
        }
    }

    /// One request, waited for (the start-up probe); other answers stay for ``perform(waitingUpTo:)``.
    func request(_ request: Request) -> Response {
        let tag = Int.min
        start(request, tag: tag)
        var others: [(Int, Response)] = []
        defer { ready += others }
        while true {
            for (t, r) in perform(waitingUpTo: 0.5) {
                if t == tag { return r }
                others.append((t, r))
            }
        }
    }
}
