/// Which answers are worth another attempt, and how long to wait before it.
///
/// The default follows the deployed upstream's queue (30 s, 60 s, 120 s); named presets cover
/// shorter test runs and multi-day outages (``Preset``). Jitter only lengthens a delay (up to a
/// quarter), so the horizon is never shorter than the schedule says.
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

    /// Named schedules, chosen with `--retry-preset` or `retry = "NAME"` in the integrations file.
    public enum Preset: String, CaseIterable, Sendable {
        /// The deployed upstream's queue: 30 s, 60 s, 120 s (about 3.5 minutes).
        case upstream
        /// Short retries for interactive use and tests: 1 s, 2 s, 4 s.
        case quick
        /// Standard Webhooks and Svix: 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h (about 27.6 hours).
        case standardWebhooks = "standard-webhooks"

        public var schedule: [Double] {
            switch self {
            case .upstream: [30, 60, 120]
            case .quick: [1, 2, 4]
            case .standardWebhooks: [5, 300, 1800, 7200, 18000, 36000, 36000]
            }
        }

        public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// Further attempts after the first.
    public var retries = 3
    /// Delays before each retry; the last one repeats when `retries` is larger. When empty,
    /// exponential from `baseDelay`.
    public var schedule: [Double] = Preset.upstream.schedule
    public var baseDelay = 1.0
    public var maxDelay = 120.0
    /// Largest `Retry-After` honoured, in seconds.
    public var maxRetryAfter = 300.0
    /// Which non-2xx answers are retried.
    public var retried = RetriedStatuses.standard

    public init() {}

    /// The policy of `preset`: its schedule, one retry per step.
    public init(preset: Preset) {
        schedule = preset.schedule
        retries = preset.schedule.count
    }

    public mutating func apply(_ preset: Preset) {
        schedule = preset.schedule
        retries = preset.schedule.count
    }

    /// The verdict for `r` under the default retried statuses.
    public static func classify(_ r: HTTPResponse) -> Verdict { RetriedStatuses.standard.classify(r) }

    public func classify(_ r: HTTPResponse) -> Verdict { retried.classify(r) }

    /// Seconds to wait before retry number `retry` (1-based): `Retry-After` when given (up to
    /// `maxRetryAfter`), else the schedule or exponential backoff, lengthened by up to 25 % of jitter.
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
        return base * (1 + 0.25 * random)
    }

    /// `Retry-After` as delta seconds or an HTTP date (RFC 9110), in seconds from `now`.
    public static func parseRetryAfter(_ text: String, now: Double) -> Double? {
        let t = text.trimmed(" ")
        if let s = Double(t), s >= 0 { return s }
        guard let date = HTTPDate.parse(t, now: now) else { return nil }
        return date - now
    }
}

/// The non-2xx statuses worth another attempt. 410 is never among them: it means "endpoint gone".
///
/// The default retries what a later attempt can cure: no answer, 408, 425, 429 and 5xx. Other 4xx
/// and 3xx say the request itself is wrong (bad payload, bad credentials, moved endpoint); retrying
/// them for hours only delays the dead-letter file that someone has to look at. Integrations whose
/// partner expects the Standard Webhooks rule (every non-2xx) set `retry_statuses = ["all"]`.
public struct RetriedStatuses: Sendable, Equatable, CustomStringConvertible {
    /// Exact statuses retried.
    public var statuses: Set<Int>
    /// Status classes retried (4 for 4xx, 5 for 5xx).
    public var classes: Set<Int>

    public init(statuses: Set<Int>, classes: Set<Int>) {
        self.statuses = statuses
        self.classes = classes
    }

    public static let standard = RetriedStatuses(statuses: [408, 425, 429], classes: [5])

    /// Parses `["all"]`, or statuses and classes such as `[408, 429, "5xx"]`.
    public init(parsing items: [String]) throws {
        var statuses: Set<Int> = []
        var classes: Set<Int> = []
        for item in items {
            let t = item.lowercased()
            if t == "all" {
                // Every non-2xx but 410, as Standard Webhooks and Svix do.
                classes.formUnion([3, 4, 5])
            } else if t.count == 3, t.hasSuffix("xx"), let c = Int(t.prefix(1)), (3...5).contains(c) {
                classes.insert(c)
            } else if let s = Int(t), (300...599).contains(s), s != 410 {
                statuses.insert(s)
            } else {
                throw ConfigError(
                    "retry_statuses: \"\(item)\" is not a status from 300 to 599 (but 410), 3xx, 4xx, 5xx "
                        + "or all",
                    hint: "for example retry_statuses = [408, 429, \"5xx\"]")
            }
        }
        self.init(statuses: statuses, classes: classes)
    }

    public func classify(_ r: HTTPResponse) -> RetryPolicy.Verdict {
        switch r.status {
        case 0: return .retry
        case 200..<300: return .delivered
        case 410: return .gone
        case let s where statuses.contains(s) || classes.contains(s / 100): return .retry
        default: return .permanent
        }
    }

    public var description: String {
        (statuses.sorted().map(String.init) + classes.sorted().map { "\($0)xx" }).joined(separator: ",")
    }
}
