/// Keeps lt-query from hammering a warehouse that is down.
///
/// Closed: batches run with their retries. When a batch uses up its retries the breaker opens:
/// batches fail fast, unanswered, for the cooldown. After it one probe batch runs, with a single
/// attempt: success closes the breaker, failure opens it for another cooldown.
public struct WarehouseBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed
        case open(until: Double)
        case probing
    }

    public private(set) var state = State.closed
    public let cooldown: Double

    public init(cooldown: Double) { self.cooldown = cooldown }

    /// What to do with the next batch at time `now` (monotonic seconds).
    public enum Decision: Equatable {
        /// Run it with the usual retries.
        case run
        /// Run it once, as the probe.
        case probe
        /// Do not run it; mark its lines unavailable.
        case failFast
    }

    public mutating func decide(now: Double) -> Decision {
        switch state {
        case .closed: return .run
        case .probing: return .probe
        case .open(let until):
            if now < until { return .failFast }
            state = .probing
            return .probe
        }
    }

    /// A batch was answered.
    public mutating func succeeded() { state = .closed }

    /// A batch used up its attempts (or the probe failed).
    public mutating func failed(now: Double) { state = .open(until: now + cooldown) }

    public var isOpen: Bool { if case .open = state { return true } else { return false } }
}
