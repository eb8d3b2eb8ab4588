import Histogram

/// The one histogram of the project: durations (or small counts such as attempts) kept in an
/// HdrHistogram with two significant digits, so its memory is fixed (about 30 KB) however long
/// the stream, and every quantile is within 1 % of the true value. `--stats`, the Prometheus
/// file and the DogStatsD percentiles all read it, so every tool reports the same figures.
///
/// Values are recorded in millionths of their unit (microseconds for seconds), from one
/// millionth up to an hour's worth; larger values count as the largest.
public struct LatencyHistogram: Sendable {
    private static let scale = 1e6
    private static let highest: UInt64 = 3_600_000_000
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: highest,
        numberOfSignificantValueDigits: .two)
    /// Values recorded.
    public private(set) var count = 0
    /// Their exact sum, in the values' unit.
    public private(set) var sum = 0.0
    /// The largest value recorded, exactly.
    public private(set) var max = 0.0

    public init() {}

    /// Records `value` (seconds, or a count); negative values count as zero.
    public mutating func record(_ value: Double) {
        let v = value.isFinite ? Swift.max(0, value) : 0
        count += 1
        sum += v
        max = Swift.max(max, v)
        let scaled = (v * Self.scale).rounded()
        _ = histogram.record(scaled >= Double(Self.highest) ? Self.highest : UInt64(Swift.max(1, scaled)))
    }

    /// The value below which fraction `q` (0…1) of the recorded values fall, or nil when there are none.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let v = Double(histogram.valueAtPercentile(Swift.min(100, Swift.max(0, q * 100)))) / Self.scale
        return Swift.min(v, max)
    }

    /// How many recorded values are at most `bound`, for a Prometheus bucket's cumulative count.
    public func count(atMost bound: Double) -> Int {
        guard count > 0, bound >= 0 else { return 0 }
        if bound >= max { return count }
        let scaled = (bound * Self.scale).rounded(.down)
        guard scaled >= 1 else { return 0 }
        return Int(histogram.count(within: 0...UInt64(Swift.min(scaled, Double(Self.highest)))))
    }
}

extension LatencyHistogram {
    /// The quantiles every `--stats` summary shows.
    static let reported: [(name: String, q: Double)] = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]

    /// `p50=0.2ms p95=0.4ms p99=1.1ms max=1.3ms`, or `none` before any value, for durations in seconds.
    public var summaryText: String {
        guard count > 0 else { return "none" }
        func ms(_ s: Double) -> String { String((s * 1e4).rounded() / 10) + "ms" }
        return (Self.reported.map { "\($0.name)=\(ms(quantile($0.q)!))" } + ["max=\(ms(max))"]).joined(separator: " ")
    }

    /// `{"count":…, "p50_ms":…, "p95_ms":…, "p99_ms":…, "max_ms":…}`, nulls before any value.
    public func writeJSON(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("count"); json.int(count)
        for (name, q) in Self.reported {
            json.key("\(name)_ms")
            if let v = quantile(q) { json.double((v * 1e6).rounded() / 1e3) } else { json.null() }
        }
        json.key("max_ms"); if count > 0 { json.double((max * 1e6).rounded() / 1e3) } else { json.null() }
        json.endObject()
    }
}
