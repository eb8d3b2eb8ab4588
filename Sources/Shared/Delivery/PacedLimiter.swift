/// A smooth rate limit: requests are spaced evenly, one every `interval` seconds, with no burst
/// (a token bucket of depth one), so a minute's quota is never spent in its first second.
public struct PacedLimiter: Sendable {
    public let interval: Double
    private var nextFree = -Double.infinity

    /// `perSecond` requests a second at most.
    public init(perSecond: Double) { interval = 1 / perSecond }

    /// The earliest time a request may go, not before `now`.
    public func earliest(now: Double) -> Double { max(now, nextFree) }

    /// Takes the slot at `time` (from ``earliest(now:)`` or later).
    public mutating func take(at time: Double) { nextFree = time + interval }
}
