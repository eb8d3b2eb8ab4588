import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// Owns one libcurl multi handle: many ``CurlTransfer``s in flight on one thread, sharing a
/// connection cache (keep-alive, HTTP/2 multiplexing when the server offers it).
///
/// The loop that drives it: ``add(_:)`` prepared transfers, ``perform()`` to move them along and
/// collect those that finished with their response, ``wait(fds:milliseconds:)`` until something can
/// move. It knows nothing of what the transfers are for (its callers keep track of that).
///
/// Every libcurl call's code is checked. A multi handle that fails (`curl_multi_perform` or
/// `curl_multi_poll` says so) fails every transfer in flight with libcurl's reason, as transport
/// errors the callers retry; a handle libcurl will not take back is never used again.
public final class CurlMulti {
    private let multi: UnsafeMutableRawPointer
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Transfers libcurl would not take, handed back as failed by the next ``perform()``.
    private var refused: [(CurlTransfer, HTTPResponse)] = []
    /// Transfers libcurl would not let go of: kept, unused, until the multi handle is cleaned up,
    /// so that no easy handle is freed while the multi handle may still point at it.
    private var stuck: [CurlTransfer] = []
    /// Why the last `curl_multi_poll` failed; the next ``perform()`` fails the transfers with it.
    private var pollFailure: String?

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
        // Nothing is left to tell of a failure here: the handles go either way. The transfers (the
        // stuck ones too) are freed after this, once the multi handle no longer points at them.
        for (h, _) in running { _ = curl_multi_remove_handle(multi, h) }
        _ = curl_multi_cleanup(multi)
    }

    private func check(_ code: CURLMcode, _ name: String) throws {
        guard code != CURLM_OK else { return }
        throw HTTPSetupError(option: name, code: String(cString: curl_multi_strerror(code)), safety: nil)
    }

    private static func text(_ code: CURLMcode) -> String { String(cString: curl_multi_strerror(code)) }

    /// Starts a prepared transfer.
    func add(_ t: CurlTransfer) {
        t.startedAt = Timestamps.monotonic()
        let code = curl_multi_add_handle(multi, t.handle)
        guard code == CURLM_OK else {
            var r = HTTPResponse(
                status: 0,
                transportError: "libcurl could not start the transfer: \(Self.text(code))")
            r.permanent = true
            refused.append((t, r))
            return
        }
        t.isAttached = true
        running[t.handle] = t
    }

    /// Stops a transfer before its end (on interruption); its connection is closed.
    func remove(_ t: CurlTransfer) {
        if let i = refused.firstIndex(where: { $0.0 === t }) { refused.remove(at: i) }
        guard running.removeValue(forKey: t.handle) != nil else { return }
        detach(t)
    }

    /// Takes `t` out of the multi handle; when libcurl refuses, `t` stays attached and is kept apart.
    private func detach(_ t: CurlTransfer) {
        if curl_multi_remove_handle(multi, t.handle) == CURLM_OK {
            t.isAttached = false
        } else {
            stuck.append(t)
        }
    }

    /// Moves the transfers along without waiting, and hands back those that finished, with their response.
    func perform() -> [(CurlTransfer, HTTPResponse)] {
        var done = refused
        refused.removeAll()
        var stillRunning: Int32 = 0
        var code = CURLM_CALL_MULTI_PERFORM
        while code == CURLM_CALL_MULTI_PERFORM { code = curl_multi_perform(multi, &stillRunning) }
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                let t = running.removeValue(forKey: easy)
            else { continue }
            let result = lt_curl_msg_result(msg)
            detach(t)
            done.append((t, t.response(result)))
        }
        let failure = code != CURLM_OK ? "libcurl could not move the transfers along: \(Self.text(code))" : pollFailure
        pollFailure = nil
        if let failure {
            // The multi handle's state is unknown: every transfer still in flight ends, to be retried.
            for (_, t) in running {
                detach(t)
                done.append((t, HTTPResponse(status: 0, transportError: failure)))
            }
            running.removeAll()
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
        let code = waitFDs.withUnsafeMutableBufferPointer { b in
            curl_multi_poll(multi, b.baseAddress, UInt32(b.count), timeout, &n)
        }
        guard code == CURLM_OK else {
            // The transfers fail on the next perform(); the caller's own descriptors are still
            // waited on, so that its loop neither spins nor misses its input.
            pollFailure = "libcurl could not wait on its connections: \(Self.text(code))"
            return Self.poll(waitFDs, milliseconds: running.isEmpty ? timeout : 0)
        }
        return waitFDs.filter { $0.revents != 0 }.map(\.fd)
    }

    /// The descriptors of `waitFDs` that become ready within `milliseconds`, by the system's poll.
    private static func poll(_ waitFDs: [curl_waitfd], milliseconds: Int32) -> [Int32] {
        var fds = waitFDs.map {
            pollfd(fd: $0.fd, events: $0.events == Int16(CURL_WAIT_POLLIN) ? Int16(POLLIN) : Int16(POLLOUT), revents: 0)
        }
        guard Glibc.poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { return [] }
        return fds.filter { $0.revents != 0 }.map(\.fd)
    }
}
