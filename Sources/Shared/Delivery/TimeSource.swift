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
