/// Stops hammering a service that keeps failing (a partner's endpoint in lt-send, the warehouse
/// in lt-query): after `threshold` failed attempts in a row it opens, and work for that service
/// fails fast for `cooldown` seconds; then one probe goes out, and its outcome closes the breaker
/// or opens it again.
public struct CircuitBreaker: Sendable {
    public enum State: Equatable, Sendable {
        case closed
        case open(until: Double)
        /// A probe is in flight; other lines wait for its outcome.
        case probing
    }

    /// What to do with a line about to be sent.
    public enum Admission: Equatable, Sendable {
        case send
        /// Send it as the probe that decides whether the breaker closes.
        case probe
        /// Fail it now: the service is failing.
        case reject
        /// Try again shortly: a probe is in flight.
        case wait
    }

    /// Failed attempts in a row that open the breaker; 0 turns it off.
    public let threshold: Int
    public let cooldown: Double
    public private(set) var state = State.closed
    private var failures = 0

    public init(threshold: Int, cooldown: Double) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    public mutating func admit(now: Double) -> Admission {
        switch state {
        case .closed: return .send
        case .probing: return .wait
        case .open(let until):
            if now < until { return .reject }
            state = .probing
            return .probe
        }
    }

    /// Records an attempt's outcome: `healthy` when the service answered sensibly (for an
    /// endpoint, a 2xx or a 4xx).
    public mutating func record(healthy: Bool, now: Double) {
        if healthy {
            failures = 0
            state = .closed
            return
        }
        failures += 1
        if state == .probing || (threshold > 0 && failures >= threshold) {
            state = .open(until: now + cooldown)
        }
    }

    public var isOpen: Bool { if case .open = state { true } else { false } }
}
