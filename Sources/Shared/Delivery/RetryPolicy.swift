/// Which answers are worth another attempt, and how long to wait before it.
public struct RetryPolicy: Sendable {
    /// What one attempt's answer means for the line.
    public enum Verdict: Equatable, Sendable {
        case delivered
        /// Worth another attempt.
        case retry
        /// Another attempt will not help (most 4xx, any 3xx).
        case permanent
        /// 410: the endpoint is gone for the rest of the run.
        case gone
    }

    /// Further attempts after the first.
    public var retries = 3
    /// Explicit delays before each retry; when empty, exponential from `baseDelay`.
    public var schedule: [Double] = []
    public var baseDelay = 1.0
    public var maxDelay = 120.0
    /// Largest `Retry-After` honoured, in seconds.
    public var maxRetryAfter = 300.0

    public init() {}

    public static func classify(_ r: HTTPResponse) -> Verdict {
        switch r.status {
        case 0: return .retry
        case 200..<300: return .delivered
        case 410: return .gone
        case 408, 425, 429, 500..<600: return .retry
        default: return .permanent
        }
    }

    /// Seconds to wait before retry number `retry` (1-based): `Retry-After` when given, else the
    /// schedule or exponential backoff, with "full jitter" between half and the whole delay.
    public func delay(beforeRetry retry: Int, retryAfter: String?, now: Double, random: Double) -> Double {
        if let retryAfter, let seconds = RetryPolicy.parseRetryAfter(retryAfter, now: now) {
            return min(max(0, seconds), maxRetryAfter)
        }
        let base: Double
        if !schedule.isEmpty {
            base = schedule[min(retry - 1, schedule.count - 1)]
        } else {
            base = min(maxDelay, baseDelay * Double(1 << min(retry - 1, 30)))
        }
        return base * (0.5 + 0.5 * random)
    }

    /// `Retry-After` as delta seconds or an HTTP date (RFC 9110), in seconds from `now`.
    public static func parseRetryAfter(_ text: String, now: Double) -> Double? {
        let t = text.trimmed(" ")
        if let s = Double(t), s >= 0 { return s }
        guard let date = HTTPDate.parse(t) else { return nil }
        return date - now
    }
}
