/// The specification's metrics: each name with its kind, unit and meaning, stated once here and
/// used for DogStatsD, the Prometheus file (`# HELP`, `# TYPE`, `_total`, `_seconds`) and the docs.
public enum Metric: String, CaseIterable, Sendable {
    case queryDuration = "webhook.learning_time.query.duration"
    case querySuccess = "webhook.learning_time.query.success"
    case queryFailure = "webhook.learning_time.query.failure"
    case cacheHitRate = "webhook.learning_time.cache.hit_rate"
    case taskQueued = "webhook.enrichment.task.queued"
    case taskBacklog = "webhook.enrichment.task.backlog"
    case taskDuration = "webhook.enrichment.task.duration"
    case enriched = "webhook.enrichment.enriched"
    case omitted = "webhook.enrichment.omitted"
    case successWithLearningTime = "webhook.delivery.success_with_learning_time"
    case successWithoutLearningTime = "webhook.delivery.success_without_learning_time"
    case successEnrollment = "webhook.delivery.success_enrollment"
    case deliveryLatency = "webhook.delivery.latency"
    case deliveryAttempts = "webhook.delivery.attempts"

    public enum Kind: String, Sendable { case counter, gauge, histogram }

    /// What a sample measures; durations are recorded in seconds whatever DogStatsD shows.
    public enum Unit: String, Sendable { case seconds, percent, keys, lines, payloads, attempts }

    public var kind: Kind {
        switch self {
        case .queryDuration, .taskDuration, .deliveryLatency, .deliveryAttempts: .histogram
        case .cacheHitRate, .taskBacklog: .gauge
        default: .counter
        }
    }

    public var unit: Unit {
        switch self {
        case .queryDuration, .taskDuration, .deliveryLatency: .seconds
        case .cacheHitRate: .percent
        case .querySuccess, .queryFailure: .keys
        case .taskQueued, .taskBacklog: .lines
        case .enriched, .omitted, .successWithLearningTime, .successWithoutLearningTime, .successEnrollment: .payloads
        case .deliveryAttempts: .attempts
        }
    }

    /// DogStatsD shows durations in milliseconds, as the specification's table does, except the
    /// task duration, which the table gives in seconds.
    var statsdFactor: Double {
        unit == .seconds && self != .taskDuration ? 1000 : 1
    }

    public var help: String {
        switch self {
        case .queryDuration: "Duration of one warehouse round trip of lt-query, in seconds."
        case .querySuccess: "Keys the warehouse answered (status: found or not_found)."
        case .queryFailure: "Keys marked unavailable because the warehouse failed."
        case .cacheHitRate: "Share of lt-query's keys answered from the cache, in percent (0 to 100)."
        case .taskQueued: "Lines read and queued for work."
        case .taskBacklog: "Lines read and not yet final (at exit: those left unfinished)."
        case .taskDuration: "Seconds from reading a line to its final delivery result."
        case .enriched: "Payloads that got learning time."
        case .omitted: "Payloads sent on without learning time (reason)."
        case .successWithLearningTime: "Course completions delivered with learning time."
        case .successWithoutLearningTime: "Course completions delivered without learning time."
        case .successEnrollment: "Payloads other than course completions (enrollments) delivered."
        case .deliveryLatency: "Seconds from a line's first attempt to its final result."
        case .deliveryAttempts: "Attempts a line took to reach its final result."
        }
    }

    /// The Prometheus name: dots become underscores, then the unit or `_total` is appended.
    public var prometheusName: String {
        let base = rawValue.replacing(".", with: "_")
        switch (kind, unit) {
        case (.counter, _): return base + "_total"
        case (_, .seconds): return base + "_seconds"
        case (_, .percent): return base + "_percent"
        default: return base
        }
    }

    /// Prometheus bucket bounds: seconds for durations, counts for attempts.
    var buckets: [Double] {
        unit == .seconds
            ? [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
            : [1, 2, 3, 4, 5, 10, 20]
    }
}
