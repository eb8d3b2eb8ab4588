/// Where HTTP requests go: many in flight at once, driven from one event loop.
///
/// ``CurlTransport`` (a libcurl multi handle) is the project's one request adapter: lt-send's
/// deliveries and token requests and the Snowflake SQL API (``SnowflakeHTTP``) all use it; lt-send's
/// tests use a fake on a fake clock. Each request carries a `tag` chosen by the caller, and its
/// answer comes back with it.
public protocol Transport: AnyObject {
    /// Requests started and not finished.
    var inFlight: Int { get }
    /// The tags of the requests in flight.
    var inFlightTags: [Int] { get }
    /// Starts `request`.
    func start(_ request: HTTPRequest, tag: Int)
    /// Stops the request `tag` before its end (on interruption).
    func cancel(tag: Int)
    /// Moves the requests along without waiting, and hands back those that finished.
    func perform() -> [(tag: Int, response: HTTPResponse)]
    /// Waits until a request can move, one of `fds` is readable, one of `writable` can be written,
    /// or `milliseconds` pass.
    func wait(fds: [Int32], writable: [Int32], milliseconds: Int)
}

/// The libcurl transport: one multi handle, and a pool of easy handles reused so connections stay warm.
public final class CurlTransport: Transport {
    private let multi: CurlMulti
    private var pool: [CurlTransfer] = []
    private var running: [Int: CurlTransfer] = [:]
    private var tags: [ObjectIdentifier: Int] = [:]
    /// Requests that could not be started, handed back as failed by the next ``perform()``.
    private var failed: [(tag: Int, response: HTTPResponse)] = []
    /// What every transfer is built with: the destination check, TLS trust, the body cap.
    public let settings: TransportSettings

    public init(settings: TransportSettings, maxConnections: Int) throws {
        self.settings = settings
        multi = try CurlMulti(maxConnections: maxConnections)
    }

    public var inFlight: Int { running.count + failed.count }
    public var inFlightTags: [Int] { Array(running.keys) + failed.map(\.tag) }

    public func start(_ request: HTTPRequest, tag: Int) {
        let t: CurlTransfer
        do {
            t = try pool.popLast() ?? CurlTransfer(settings: settings)
            do { try t.prepare(request) } catch {
                pool.append(t)
                throw error
            }
        } catch {
            var r = HTTPResponse(status: 0, transportError: "\(error)")
            r.permanent = true
            failed.append((tag, r))
            return
        }
        running[tag] = t
        tags[ObjectIdentifier(t)] = tag
        multi.add(t)
    }

    public func cancel(tag: Int) {
        failed.removeAll { $0.tag == tag }
        guard let t = running.removeValue(forKey: tag) else { return }
        tags[ObjectIdentifier(t)] = nil
        multi.remove(t)
        release(t)
    }

    public func perform() -> [(tag: Int, response: HTTPResponse)] {
        var done = failed
        failed.removeAll()
        for (t, r) in multi.perform() {
            guard let tag = tags.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            running[tag] = nil
            release(t)
            done.append((tag, r))
        }
        return done
    }

    /// A finished transfer goes back to the pool, unless libcurl would not let go of it (``CurlMulti``
    /// keeps such a one until the end, and it is never used again).
    private func release(_ t: CurlTransfer) {
        if !t.isAttached { pool.append(t) }
    }

    public func wait(fds: [Int32], writable: [Int32], milliseconds: Int) {
        _ = multi.wait(fds: fds, writable: writable, milliseconds: failed.isEmpty ? milliseconds : 0)
    }

    /// ``perform()``, and when nothing has finished, a wait of at most `seconds` for a transfer to
    /// move and a second ``perform()``: for callers whose loop waits on nothing else.
    public func perform(waitingUpTo seconds: Double) -> [(tag: Int, response: HTTPResponse)] {
        let done = perform()
        guard done.isEmpty, seconds > 0, inFlight > 0 else { return done }
        wait(fds: [], writable: [], milliseconds: Int((seconds * 1000).rounded(.up)))
        return perform()
    }
}
