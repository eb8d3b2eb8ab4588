import CCurl

/// Owns one libcurl multi handle: many transfers in flight on one thread, sharing a connection
/// cache (keep-alive, HTTP/2 multiplexing when the server offers it).
public final class CurlMulti {
    private let multi: UnsafeMutableRawPointer
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    public init(maxConnections: Int) {
        CurlTransfer.globalInit
        multi = curl_multi_init()
        lt_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        lt_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(8, maxConnections))
    }

    deinit {
        for (h, _) in running { curl_multi_remove_handle(multi, h) }
        curl_multi_cleanup(multi)
    }

    public var inFlight: Int { running.count }

    /// Starts a prepared transfer.
    func add(_ t: CurlTransfer) {
        t.startedAt = Timestamps.monotonic()
        running[t.handle] = t
        curl_multi_add_handle(multi, t.handle)
    }

    /// Stops a transfer before its end (on interruption); its connection is closed.
    func remove(_ t: CurlTransfer) {
        guard running.removeValue(forKey: t.handle) != nil else { return }
        curl_multi_remove_handle(multi, t.handle)
    }

    /// Every transfer still in flight.
    var transfers: [CurlTransfer] { Array(running.values) }

    /// Moves the transfers along without waiting, and hands back those that finished.
    func perform() -> [(CurlTransfer, HTTPResponse)] {
        var stillRunning: Int32 = 0
        while curl_multi_perform(multi, &stillRunning) == CURLM_CALL_MULTI_PERFORM {}
        var done: [(CurlTransfer, HTTPResponse)] = []
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                  let t = running.removeValue(forKey: easy) else { continue }
            let code = lt_curl_msg_result(msg)
            curl_multi_remove_handle(multi, easy)
            done.append((t, t.response(code)))
        }
        return done
    }

    /// Waits until a transfer can move, one of `fds` is readable, or `milliseconds` pass.
    /// Returns the descriptors among `fds` that became readable.
    func wait(fds: [Int32], milliseconds: Int) -> [Int32] {
        var waitFDs = fds.map { curl_waitfd(fd: $0, events: Int16(CURL_WAIT_POLLIN), revents: 0) }
        var n: Int32 = 0
        waitFDs.withUnsafeMutableBufferPointer { b in
            _ = curl_multi_poll(multi, b.baseAddress, UInt32(b.count), Int32(max(0, milliseconds)), &n)
        }
        return waitFDs.filter { $0.revents != 0 }.map(\.fd)
    }
}
