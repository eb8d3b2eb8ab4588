/// What `--stats` reports: lines by final status and endpoint, HTTP answers, attempts and
/// attempt latency percentiles (from a ``LatencyHistogram``, so memory stays constant).
public struct DeliveryStats {
    public private(set) var byStatus: [DeliveryStatus: Int] = [:]
    private var byEndpoint: [String: [DeliveryStatus: Int]] = [:]
    private var httpStatuses: [String: [Int: Int]] = [:]
    public private(set) var attempts = 0
    /// The most bytes of lines read but not final at once (held, in flight, waiting to be retried).
    public private(set) var peakLineBytes = 0
    public private(set) var transportErrors = 0
    /// Durations of the attempts, in seconds.
    public private(set) var latency = LatencyHistogram()

    public init() {}

    mutating func line(_ status: DeliveryStatus, endpoint: String?) {
        byStatus[status, default: 0] += 1
        if let endpoint { byEndpoint[endpoint, default: [:]][status, default: 0] += 1 }
    }

    mutating func attempt(endpoint: String, httpStatus: Int, seconds: Double) {
        attempts += 1
        if httpStatus == 0 {
            transportErrors += 1
        } else {
            httpStatuses[endpoint, default: [:]][httpStatus, default: 0] += 1
        }
        latency.record(seconds)
    }

    /// Lines in all, and those not delivered (failed or rejected).
    mutating func pendingBytes(_ bytes: Int) { peakLineBytes = max(peakLineBytes, bytes) }

    public var lineCount: Int { byStatus.values.reduce(0, +) }
    public var errors: Int { byStatus[.failed, default: 0] + byStatus[.rejected, default: 0] }

    /// The report, one line per fact, for standard error.
    public func lines() -> [String] {
        func counts(_ c: [DeliveryStatus: Int]) -> String {
            DeliveryStatus.allCases.map { "\($0.rawValue)=\(c[$0, default: 0])" }.joined(separator: " ")
        }
        var out = [
            "lines: \(lineCount)  errors: \(errors)",
            "deliveries: \(counts(byStatus)) attempts=\(attempts) transport_errors=\(transportErrors)",
        ]
        for name in byEndpoint.keys.sorted() {
            let http = (httpStatuses[name] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: " ")
            out.append("endpoint \(name): \(counts(byEndpoint[name]!))\(http.isEmpty ? "" : " http: \(http)")")
        }
        out.append("latency: \(latency.summaryText) (per HTTP attempt, request to response)")
        out.append("memory: peak_line_bytes=\(peakLineBytes) (lines read but not final; bounded by --window-bytes)")
        return out
    }
}
