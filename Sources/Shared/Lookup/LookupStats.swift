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
    public var roundTripSeconds: [Double] = []

    public init() {}

    public var hitRate: Double {
        cacheHits + cacheMisses == 0 ? 0 : Double(cacheHits) / Double(cacheHits + cacheMisses)
    }

    public func summary() -> String {
        let statuses = LookupStatus.allCases.map { "\($0.rawValue)=\(byStatus[$0, default: 0])" }.joined(separator: " ")
        let sorted = roundTripSeconds.sorted()
        func pct(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let v = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            return String((v * 10_000).rounded() / 10) + "ms"
        }
        let rate = Int((hitRate * 100).rounded())
        return """
            lines: \(lines)  errors: \(errors)
            lookups: \(statuses)
            cache: hits=\(cacheHits) misses=\(cacheMisses) hit_rate=\(rate)%
            warehouse: batches=\(batches) round_trips=\(roundTrips) failed_fast=\(failedFast) latency p50=\(pct(0.5)) p95=\(pct(0.95)) p99=\(pct(0.99))
            """
    }
}
