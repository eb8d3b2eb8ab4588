/// Where lt-send's HTTP requests go: many in flight at once, driven from one event loop.
///
/// ``CurlTransport`` (a libcurl multi handle) is the real one; tests use a fake on a fake clock.
/// Each request carries a `tag` chosen by the caller, and its answer comes back with it.
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
    /// Waits until a request can move, one of `fds` is readable, or `milliseconds` pass.
    func wait(fds: [Int32], milliseconds: Int)
}

/// Where lt-send reads the time: the system clocks, or a fake one in tests.
public protocol TimeSource: AnyObject {
    /// Seconds on a monotonic clock, for durations and timers.
    var monotonic: Double { get }
    /// Seconds since the epoch, for timestamps in results and signatures.
    var wallClock: Double { get }
}

/// The system's clocks.
public final class SystemTime: TimeSource {
    public init() {}
    public var monotonic: Double { Timestamps.monotonic() }
    public var wallClock: Double { Timestamps.now() }
}

/// The libcurl transport: one multi handle, and a pool of easy handles reused so connections stay warm.
public final class CurlTransport: Transport {
    private let multi: CurlMulti
    private let settings: TransportSettings
    private var pool: [CurlTransfer] = []
    private var running: [Int: CurlTransfer] = [:]
    private var tags: [ObjectIdentifier: Int] = [:]
    /// Requests that could not start (libcurl refused an option), answered by the next ``perform()``.
    private var refused: [(tag: Int, response: HTTPResponse)] = []

    /// Throws when libcurl refuses an option safety depends on (``HTTPSetupError``, exit 2): one
    /// handle is made at once to find out before any line is read.
    public init(settings: TransportSettings, maxConnections: Int) throws {
        self.settings = settings
        multi = try CurlMulti(maxConnections: maxConnections)
        pool.append(try CurlTransfer(settings: settings))
    }

    public var inFlight: Int { running.count + refused.count }
    public var inFlightTags: [Int] { Array(running.keys) + refused.map(\.tag) }

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
            refused.append((tag, r))
            return
        }
        running[tag] = t
        tags[ObjectIdentifier(t)] = tag
        multi.add(t)
    }

    public func cancel(tag: Int) {
        refused.removeAll { $0.tag == tag }
        guard let t = running.removeValue(forKey: tag) else { return }
        tags[ObjectIdentifier(t)] = nil
        multi.remove(t)
        pool.append(t)
    }

    public func perform() -> [(tag: Int, response: HTTPResponse)] {
        let early = refused
        refused.removeAll()
        return early + multi.perform().compactMap { t, r in
            guard let tag = tags.removeValue(forKey: ObjectIdentifier(t)) else { return nil }
            running[tag] = nil
            pool.append(t)
            return (tag, r)
        }
    }

    public func wait(fds: [Int32], milliseconds: Int) {
        _ = multi.wait(fds: fds, milliseconds: refused.isEmpty ? milliseconds : 0)
    }
}
