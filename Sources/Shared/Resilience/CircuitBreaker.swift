/// Stops hammering a service that keeps failing (a partner's endpoint in lt-send, the warehouse
/// in lt-query): after `threshold` failed attempts in a row it opens, and work for that service
/// fails fast for `cooldown` seconds; then one probe goes out, and its outcome closes the breaker
/// or opens it again.
///
/// With a ``RateRule`` (lt-send's partners), only failures with no answer at all (refused, reset,
/// DNS, TLS, timeout) count in a row; answers that are failures (5xx, 408) open it only when
/// they are at least `failureRate` of at least `minimumAttempts` attempts in the last `window`
/// seconds, as resilience4j's sliding window does. So a partner that is down (no answer) opens it
/// after `threshold` attempts as before, one answering 503 to everything opens it once 50 attempts
/// say so, and one answering 30 % of requests with 503 never opens it.
public struct CircuitBreaker: Sendable {
    /// The failure-rate rule: `failureRate` (0...1) of at least `minimumAttempts` attempts in the
    /// last `window` seconds.
    public struct RateRule: Sendable, Equatable {
        public var failureRate: Double
        public var minimumAttempts: Int
        public var window: Double

        public init(failureRate: Double = 0.5, minimumAttempts: Int = 50, window: Double = 30) {
            self.failureRate = failureRate
            self.minimumAttempts = minimumAttempts
            self.window = window
        }
    }

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
    public let rateRule: RateRule?
    /// Attempts and failures per second of the window, oldest first: (second, attempts, failures).
    private var buckets: [(second: Int, attempts: Int, failures: Int)] = []

    public init(threshold: Int, cooldown: Double, rateRule: RateRule? = nil) {
        self.threshold = threshold
        self.cooldown = cooldown
        self.rateRule = rateRule
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
    /// endpoint, a 2xx, a 4xx other than 408, or a 429, which paces the endpoint instead); `answered` when a failure still came with an answer (a 5xx), which
    /// with a ``RateRule`` counts toward the failure rate only, not toward failures in a row.
    public mutating func record(healthy: Bool, answered: Bool = false, now: Double) {
        if let rule = rateRule, threshold > 0 { count(healthy: healthy, rule, now) }
        if healthy {
            failures = 0
            if state == .probing { buckets.removeAll() }
            state = .closed
            return
        }
        if state == .probing {
            state = .open(until: now + cooldown)
            return
        }
        if rateRule == nil || !answered { failures += 1 } else { failures = 0 }
        if threshold > 0 && (failures >= threshold || rateExceeded(now)) {
            state = .open(until: now + cooldown)
            buckets.removeAll()
        }
    }

    private mutating func count(healthy: Bool, _ rule: RateRule, _ now: Double) {
        let second = Int(now.rounded(.down))
        let oldest = second - Int(rule.window.rounded(.up)) + 1
        while let first = buckets.first, first.second < oldest { buckets.removeFirst() }
        if buckets.last?.second != second { buckets.append((second, 0, 0)) }
        buckets[buckets.count - 1].attempts += 1
        if !healthy { buckets[buckets.count - 1].failures += 1 }
    }

    /// True when the failures in the window reach the rule's rate over at least its minimum attempts.
    private func rateExceeded(_ now: Double) -> Bool {
        guard let rule = rateRule else { return false }
        var attempts = 0
        var failed = 0
        for b in buckets {
            attempts += b.attempts
            failed += b.failures
        }
        return attempts >= rule.minimumAttempts && Double(failed) >= rule.failureRate * Double(attempts)
    }

    public var isOpen: Bool { if case .open = state { true } else { false } }
}
