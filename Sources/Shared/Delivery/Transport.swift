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
    /// Waits until a request can move, one of `fds` is readable, one of `writable` can be written,
    /// or `milliseconds` pass.
    func wait(fds: [Int32], writable: [Int32], milliseconds: Int)
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
    /// Requests that could not be started, handed back as failed by the next ``perform()``.
    private var failed: [(tag: Int, response: HTTPResponse)] = []

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
        pool.append(t)
    }

    public func perform() -> [(tag: Int, response: HTTPResponse)] {
        var done = failed
        failed.removeAll()
        for (t, r) in multi.perform() {
            guard let tag = tags.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            running[tag] = nil
            pool.append(t)
            done.append((tag, r))
        }
        return done
    }

    public func wait(fds: [Int32], writable: [Int32], milliseconds: Int) {
        _ = multi.wait(fds: fds, writable: writable, milliseconds: failed.isEmpty ? milliseconds : 0)
    }
}
