/// How many requests one endpoint may have in flight, backing off while the partner answers 429
/// Too Many Requests and recovering as its answers succeed: additive increase, multiplicative
/// decrease (AIMD), as TCP's congestion window does.
///
/// - A 429 halves the limit (never below 1). The 429s of requests that were already under way
///   when it last halved count as the same burst, as TCP halves once per round trip: without that,
///   the 16 requests in flight when a partner starts refusing would take the limit from 16 to 1.
/// - A full window of successes (as many 2xx answers as the limit) adds one, up to `maximum`.
public struct AdaptiveConcurrency: Sendable, Equatable {
    public let maximum: Int
    /// The current limit; requests in flight stay below or at `Int(limit)`.
    public private(set) var limit: Double
    /// When the limit was last halved; 429s of requests started before it belong to that burst.
    private var lastDecrease = -Double.infinity
    private var successes = 0

    public init(maximum: Int) {
        self.maximum = max(1, maximum)
        limit = Double(self.maximum)
    }

    /// Requests that may be in flight now.
    public var allowed: Int { max(1, Int(limit)) }

    /// A 429 to a request started at `started`, answered at `now`.
    public mutating func tooManyRequests(started: Double, now: Double) {
        guard started >= lastDecrease else { return }
        limit = max(1, limit / 2)
        lastDecrease = now
        successes = 0
    }

    /// A 2xx answer.
    public mutating func succeeded() {
        guard limit < Double(maximum) else { return }
        successes += 1
        if successes >= allowed {
            limit = min(Double(maximum), Double(allowed) + 1)
            successes = 0
        }
    }
}
