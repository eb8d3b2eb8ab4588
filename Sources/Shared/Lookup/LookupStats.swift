/// Counts for lt-query's `--stats` summary.
public struct LookupStats {
    public var lines = 0
    public var errors = 0
    public var byStatus: [LookupStatus: Int] = [:]
    public var cacheHits = 0
    public var cacheMisses = 0
    public var batches = 0
    public var roundTrips = 0
    /// Batches answered `unavailable` without asking, while the circuit breaker was open.
    public var failedFast = 0
    /// Durations of the warehouse round trips that answered, in seconds: from sending a statement to
    /// its answer, without the time its keys waited for the batch to fill or a slot to free, and
    /// without time blocked on a full output pipe (the answers are collected meanwhile).
    public var roundTripSeconds = LatencyHistogram()
    /// Seconds spent blocked on a full output pipe (a slow reader downstream, such as lt-send behind
    /// a slow partner): the reader's delay, reported apart from the warehouse's.
    public var outputWaitSeconds = 0.0

    public init() {}

    /// Share of keys answered from memory or the cache, 0 to 1.
    public var hitRate: Double {
        cacheHits + cacheMisses == 0 ? 0 : Double(cacheHits) / Double(cacheHits + cacheMisses)
    }

    public func summary() -> String {
        let statuses = LookupStatus.allCases.map { "\($0.rawValue)=\(byStatus[$0, default: 0])" }.joined(separator: " ")
        let rate = Int((hitRate * 100).rounded())
        return """
            lines: \(lines)  errors: \(errors)
            lookups: \(statuses)
            cache: hits=\(cacheHits) misses=\(cacheMisses) hit_rate=\(rate)%
            warehouse: batches=\(batches) round_trips=\(roundTrips) failed_fast=\(failedFast)
            latency: \(roundTripSeconds.summaryText) (per warehouse statement, sent to answered)
            output_wait: \(DurationText.format(outputWaitSeconds)) (blocked on a full output pipe)
            """
    }
}
