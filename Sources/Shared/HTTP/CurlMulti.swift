import CCurl

/// Owns one libcurl multi handle: many ``CurlTransfer``s in flight on one thread, sharing a
/// connection cache (keep-alive, HTTP/2 multiplexing when the server offers it).
///
/// The loop that drives it: ``add(_:)`` prepared transfers, ``perform()`` to move them along and
/// collect those that finished with their response, ``wait(fds:milliseconds:)`` until something can
/// move. It knows nothing of what the transfers are for (its callers keep track of that).
public final class CurlMulti {
    private let multi: UnsafeMutableRawPointer
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Transfers libcurl would not take, handed back as failed by the next ``perform()``.
    private var refused: [(CurlTransfer, HTTPResponse)] = []

    public init(maxConnections: Int) throws {
        CurlTransfer.globalInit
        guard let m = curl_multi_init() else {
            throw HTTPSetupError(option: "curl_multi_init", code: "out of memory", safety: nil)
        }
        multi = m
        try check(lt_curl_multi_setopt_long(m, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX)), "CURLMOPT_PIPELINING")
        try check(lt_curl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, max(8, maxConnections)), "CURLMOPT_MAXCONNECTS")
    }

    deinit {
        for (h, _) in running { curl_multi_remove_handle(multi, h) }
        curl_multi_cleanup(multi)
    }

    private func check(_ code: CURLMcode, _ name: String) throws {
        guard code != CURLM_OK else { return }
        throw HTTPSetupError(option: name, code: String(cString: curl_multi_strerror(code)), safety: nil)
    }

    /// Transfers started and not yet handed back.
    public var inFlight: Int { running.count + refused.count }

    /// Starts a prepared transfer.
    func add(_ t: CurlTransfer) {
        t.startedAt = Timestamps.monotonic()
        let code = curl_multi_add_handle(multi, t.handle)
        guard code == CURLM_OK else {
            var r = HTTPResponse(
                status: 0,
                transportError: "libcurl could not start the transfer: "
                    + String(cString: curl_multi_strerror(code)))
            r.permanent = true
            refused.append((t, r))
            return
        }
        running[t.handle] = t
    }

    /// Stops a transfer before its end (on interruption); its connection is closed.
    func remove(_ t: CurlTransfer) {
        if let i = refused.firstIndex(where: { $0.0 === t }) { refused.remove(at: i) }
        guard running.removeValue(forKey: t.handle) != nil else { return }
        curl_multi_remove_handle(multi, t.handle)
    }

    /// Moves the transfers along without waiting, and hands back those that finished, with their response.
    func perform() -> [(CurlTransfer, HTTPResponse)] {
        var done = refused
        refused.removeAll()
        var stillRunning: Int32 = 0
        while curl_multi_perform(multi, &stillRunning) == CURLM_CALL_MULTI_PERFORM {}
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                let t = running.removeValue(forKey: easy)
            else { continue }
            let code = lt_curl_msg_result(msg)
            curl_multi_remove_handle(multi, easy)
            done.append((t, t.response(code)))
        }
        return done
    }

    /// Waits until a transfer can move, one of `fds` is readable, one of `writable` can be
    /// written, or `milliseconds` pass. Returns the descriptors that became ready.
    func wait(fds: [Int32], writable: [Int32] = [], milliseconds: Int) -> [Int32] {
        var waitFDs =
            fds.map { curl_waitfd(fd: $0, events: Int16(CURL_WAIT_POLLIN), revents: 0) }
            + writable.map { curl_waitfd(fd: $0, events: Int16(CURL_WAIT_POLLOUT), revents: 0) }
        var n: Int32 = 0
        let timeout = refused.isEmpty ? Int32(max(0, milliseconds)) : 0
        waitFDs.withUnsafeMutableBufferPointer { b in
            _ = curl_multi_poll(multi, b.baseAddress, UInt32(b.count), timeout, &n)
        }
        return waitFDs.filter { $0.revents != 0 }.map(\.fd)
    }
}
