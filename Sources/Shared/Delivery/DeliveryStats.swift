#if canImport(Glibc)
import Glibc
#endif

/// What `--stats` reports: lines by final status and endpoint, HTTP answers, attempts and
/// attempt latency percentiles (from a log-scale histogram, so memory stays constant).
public struct DeliveryStats {
    public private(set) var byStatus: [DeliveryStatus: Int] = [:]
    private var byEndpoint: [String: [DeliveryStatus: Int]] = [:]
    private var httpStatuses: [String: [Int: Int]] = [:]
    public private(set) var attempts = 0
    public private(set) var transportErrors = 0
    /// Bucket i holds latencies in [base·r^i, base·r^(i+1)) seconds; r = 1.05 keeps percentiles within 5 %.
    private var buckets = [Int](repeating: 0, count: 400)
    private static let base = 1e-5
    private static let ratio = 1.05
    private var latencyCount = 0
    private var latencyMax = 0.0

    public init() {}

    mutating func line(_ status: DeliveryStatus, endpoint: String?) {
        byStatus[status, default: 0] += 1
        if let endpoint { byEndpoint[endpoint, default: [:]][status, default: 0] += 1 }
    }

    mutating func attempt(endpoint: String, httpStatus: Int, seconds: Double) {
        attempts += 1
        if httpStatus == 0 { transportErrors += 1 } else { httpStatuses[endpoint, default: [:]][httpStatus, default: 0] += 1 }
        let i = seconds <= Self.base ? 0 : min(buckets.count - 1, Int(log(seconds / Self.base) / log(Self.ratio)))
        buckets[i] += 1
        latencyCount += 1
        latencyMax = max(latencyMax, seconds)
    }

    /// The latency below which fraction `q` of attempts fall, in seconds (upper edge of its bucket).
    public func latency(quantile q: Double) -> Double? {
        guard latencyCount > 0 else { return nil }
        let target = max(1, Int((q * Double(latencyCount)).rounded(.up)))
        var seen = 0
        for (i, n) in buckets.enumerated() {
            seen += n
            if seen >= target { return min(latencyMax, Self.base * pow(Self.ratio, Double(i + 1))) }
        }
        return latencyMax
    }

    /// The report, one line per fact, for standard error.
    public func lines() -> [String] {
        func counts(_ c: [DeliveryStatus: Int]) -> String {
            DeliveryStatus.allCases.map { "\($0.rawValue)=\(c[$0, default: 0])" }.joined(separator: " ")
        }
        let total = byStatus.values.reduce(0, +)
        var out = ["lines=\(total) \(counts(byStatus)) attempts=\(attempts) transport_errors=\(transportErrors)"]
        for name in byEndpoint.keys.sorted() {
            let http = (httpStatuses[name] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            out.append("endpoint \(name): \(counts(byEndpoint[name]!))\(http.isEmpty ? "" : " http: \(http)")")
        }
        if let p50 = latency(quantile: 0.5), let p90 = latency(quantile: 0.9), let p99 = latency(quantile: 0.99) {
            func ms(_ s: Double) -> String { String((s * 1e5).rounded() / 100) }
            out.append("latency_ms p50=\(ms(p50)) p90=\(ms(p90)) p99=\(ms(p99)) max=\(ms(latencyMax))")
        }
        return out
    }
}

