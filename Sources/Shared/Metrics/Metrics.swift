import FoundationEssentials

/// The specification's metrics, sent as DogStatsD over UDP (`--metrics statsd://HOST:PORT` or
/// `LT_METRICS`) and/or kept for a Prometheus text file (`--metrics-file PATH`), written at an
/// interval and at exit. Metrics never block or fail the pipeline: a failed send or write is
/// reported once and the run goes on. Tags name integrations and statuses, never learners.
///
/// Counters and gauges are aggregated and sent once a second (a backfill of a million lines
/// sends a few hundred datagrams, not a million); histogram samples are sent as they come.
public final class Metrics: @unchecked Sendable {
    /// The process's metrics; off until ``configure(statsd:file:interval:diagnostics:)``.
    public static let shared = Metrics()

    public enum Kind: String, Sendable { case counter, gauge, histogram }

    private struct Series {
        var kind: Kind
        var value = 0.0
        var buckets = [Int](repeating: 0, count: PrometheusFile.buckets.count)
        var count = 0
        var sum = 0.0
    }

    private let lock = Lock()
    private var statsd: StatsDClient?
    private var file: PrometheusFile?
    private var interval = 15.0
    private var lastWrite = 0.0
    private var series: [String: Series] = [:]
    private var diagnostics: Diagnostics?
    private var warned = false
    /// Counter increments and gauge values not yet sent to StatsD, by line prefix (`name|type` and tags).
    private var unsent: [String: (value: Double, type: String, tags: String, name: String)] = [:]
    private var lastSend = 0.0

    public var isEnabled: Bool { statsd != nil || file != nil }

    public func configure(statsd url: String?, file path: String?, interval: Double, diagnostics: Diagnostics) throws {
        lock.lock(); defer { lock.unlock() }
        self.statsd = try url.map { try StatsDClient(url: $0) }
        self.file = path.map { PrometheusFile(path: $0) }
        self.interval = interval
        self.diagnostics = diagnostics
        lastWrite = Timestamps.monotonic()
    }

    public func increment(_ name: String, by value: Double = 1, tags: [(String, String)] = []) {
        record(name, .counter, value, tags, "c")
    }

    public func gauge(_ name: String, _ value: Double, tags: [(String, String)] = []) {
        record(name, .gauge, value, tags, "g")
    }

    /// A duration or size sample; durations are in milliseconds.
    public func histogram(_ name: String, _ value: Double, tags: [(String, String)] = []) {
        record(name, .histogram, value, tags, "h")
    }

    private func record(_ name: String, _ kind: Kind, _ value: Double, _ tags: [(String, String)], _ type: String) {
        guard statsd != nil || file != nil else { return }
        lock.lock(); defer { lock.unlock() }
        if let statsd {
            let tagText = tags.isEmpty ? "" : "|#" + tags.map { "\($0):\($1)" }.joined(separator: ",")
            if kind == .histogram {
                statsd.send("\(name):\(Metrics.number(value))|h\(tagText)")
            } else {
                let key = name + "|" + type + tagText
                let old = unsent[key]?.value ?? 0
                unsent[key] = (kind == .counter ? old + value : value, type, tagText, name)
                if Timestamps.monotonic() - lastSend >= 1 { sendUnsentLocked() }
            }
        }
        guard file != nil else { return }
        let key = name + PrometheusFile.labels(tags)
        var s = series[key] ?? Series(kind: kind)
        switch kind {
        case .counter: s.value += value
        case .gauge: s.value = value
        case .histogram:
            s.count += 1
            s.sum += value
            for (i, bound) in PrometheusFile.buckets.enumerated() where value <= bound { s.buckets[i] += 1 }
        }
        series[key] = s
        if Timestamps.monotonic() - lastWrite >= interval { writeFileLocked() }
    }

    /// Sends what is queued and writes the file; called at the interval and at exit.
    public func flush() {
        lock.lock(); defer { lock.unlock() }
        sendUnsentLocked()
        writeFileLocked()
    }

    private func sendUnsentLocked() {
        guard let statsd else { return }
        lastSend = Timestamps.monotonic()
        for (_, u) in unsent.sorted(by: { $0.key < $1.key }) {
            statsd.send("\(u.name):\(Metrics.number(u.value))|\(u.type)\(u.tags)")
        }
        unsent.removeAll(keepingCapacity: true)
        statsd.flush()
    }

    private func writeFileLocked() {
        guard let file else { return }
        lastWrite = Timestamps.monotonic()
        var text = ""
        var typed: Set<String> = []
        for key in series.keys.sorted() {
            let s = series[key]!
            let brace = key.firstIndex(of: "{") ?? key.endIndex
            let metric = PrometheusFile.name(String(key[..<brace]))
            let labels = String(key[brace...])
            if typed.insert(metric).inserted {
                text += "# TYPE \(metric) \(s.kind == .histogram ? "histogram" : s.kind == .counter ? "counter" : "gauge")\n"
            }
            switch s.kind {
            case .counter, .gauge:
                text += "\(metric)\(labels) \(Metrics.number(s.value))\n"
            case .histogram:
                let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
                for (i, bound) in PrometheusFile.buckets.enumerated() {
                    text += "\(metric)_bucket{\(inner)le=\"\(Metrics.number(bound))\"} \(s.buckets[i])\n"
                }
                text += "\(metric)_bucket{\(inner)le=\"+Inf\"} \(s.count)\n"
                text += "\(metric)_sum\(labels) \(Metrics.number(s.sum))\n"
                text += "\(metric)_count\(labels) \(s.count)\n"
            }
        }
        do { try file.write(text) } catch {
            if !warned { warned = true; diagnostics?.warning("metrics file: \(error); metrics go on without it") }
        }
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
