/// A tool's metrics sink, handed to the components that report next to their ``Diagnostics``:
/// DogStatsD over UDP (`--metrics statsd://HOST:PORT`, `LT_METRICS` or `DD_AGENT_HOST`) and/or a
/// Prometheus text file (`--metrics-file PATH`) rewritten at an interval and at exit. Metrics never
/// block or fail the pipeline: a failed send or write is reported once and the run goes on. Tags
/// name tools, integrations, statuses and reasons, never learners.
///
/// Counters and gauges are aggregated and sent to StatsD once a second (a backfill of a million
/// lines sends a few hundred datagrams, not a million); histogram samples are sent as they come,
/// for the agent's own aggregation, and kept for the file in a ``LatencyHistogram`` each.
///
/// One sink belongs to one tool's single thread, like its Diagnostics, so it needs no lock.
public final class Metrics {
    public let tool: String
    private let statsd: StatsDClient?
    private let file: PrometheusFile?
    private let interval: Double
    /// `|#tool:…,env:…` and the other constant DogStatsD tags, ready to append.
    private let statsdTags: String
    /// `tool` and `--metrics-tag` labels of every Prometheus sample.
    private let fileLabels: [(String, String)]
    private let diagnostics: Diagnostics?
    private var lastWrite: Double
    private var lastSend = 0.0
    private var warned = false
    private var series: [SeriesKey: Series] = [:]
    /// Prometheus label text by the sample's own tags (joined raw), so a line's sample escapes nothing.
    private var labelText: [String: String] = [:]
    /// Counter increments and gauge values not yet sent to StatsD, by line prefix (`name|type` and tags).
    private var unsent: [String: Double] = [:]

    private struct SeriesKey: Hashable, Comparable {
        var metric: Metric
        var labels: String

        static func < (a: Self, b: Self) -> Bool {
            (a.metric.prometheusName, a.labels) < (b.metric.prometheusName, b.labels)
        }
    }

    private enum Series {
        case value(Double)
        case histogram(LatencyHistogram)
    }

    /// A sink that records nothing, for runs without metrics and for tests.
    public convenience init(tool: String) {
        self.init(tool: tool, settings: MetricsSettings(), statsd: nil, diagnostics: nil)
    }

    init(tool: String, settings: MetricsSettings, statsd: StatsDClient?, diagnostics: Diagnostics?) {
        self.tool = tool
        self.statsd = statsd
        file = settings.filePath.map { PrometheusFile(path: $0) }
        interval = settings.fileInterval
        statsdTags =
            "|#" + ([("tool", tool)] + settings.statsdTags).map { MetricTags.statsd($0, $1) }.joined(separator: ",")
        fileLabels = [("tool", tool)] + settings.tags
        self.diagnostics = diagnostics
        lastWrite = Timestamps.monotonic()
    }

    /// The sink `settings` ask for; StatsD trouble at start-up is one warning, and the run goes on without it.
    public static func make(tool: String, settings: MetricsSettings, diagnostics: Diagnostics) -> Metrics {
        var client: StatsDClient?
        if let url = settings.statsdURL {
            do { client = try StatsDClient(url: url) } catch {
                diagnostics.warning("metrics are not sent to \(url): \(error)")
            }
        }
        return Metrics(tool: tool, settings: settings, statsd: client, diagnostics: diagnostics)
    }

    public var isEnabled: Bool { statsd != nil || file != nil }

    public func increment(_ metric: Metric, by value: Double = 1, tags: [(String, String)] = []) {
        guard isEnabled, value != 0 else { return }
        record(metric, value, tags)
    }

    /// Exports a counter at 0 until it counts anything, so that an alert dividing by it gets 0 from
    /// the start of a run, not "no data" (a run with no failure still has a failure series).
    public func startAtZero(_ metric: Metric, tags: [(String, String)] = []) {
        guard isEnabled, metric.kind == .counter else { return }
        record(metric, 0, tags)
    }

    public func gauge(_ metric: Metric, _ value: Double, tags: [(String, String)] = []) {
        guard isEnabled else { return }
        record(metric, value, tags)
    }

    /// One sample of a histogram metric: seconds for durations, a count for attempts.
    public func observe(_ metric: Metric, _ value: Double, tags: [(String, String)] = []) {
        guard isEnabled else { return }
        record(metric, value, tags)
    }

    private func record(_ metric: Metric, _ value: Double, _ tags: [(String, String)]) {
        let now = Timestamps.monotonic()
        if let statsd {
            let tagText =
                tags.isEmpty
                ? statsdTags : statsdTags + "," + tags.map { MetricTags.statsd($0, $1) }.joined(separator: ",")
            switch metric.kind {
            case .histogram:
                statsd.send("\(metric.rawValue):\(Metrics.number(value * metric.statsdFactor))|h\(tagText)")
            case .counter:
                unsent["\(metric.rawValue)|c\(tagText)", default: 0] += value
            case .gauge:
                unsent["\(metric.rawValue)|g\(tagText)"] = value
            }
            if now - lastSend >= 1 { sendUnsent(now) }
        }
        guard file != nil else { return }
        let raw = tags.isEmpty ? "" : tags.map { "\($0)\u{0}\($1)" }.joined(separator: "\u{0}")
        let labels: String
        if let known = labelText[raw] {
            labels = known
        } else {
            labels = PrometheusFile.labels(fileLabels + tags)
            if labelText.count < 10_000 { labelText[raw] = labels }
        }
        let key = SeriesKey(metric: metric, labels: labels)
        switch (metric.kind, series[key]) {
        case (.counter, .value(let old)?): series[key] = .value(old + value)
        case (.histogram, .histogram(var h)?):
            series[key] = nil  // keeps the histogram uniquely referenced, so recording does not copy it
            h.record(value)
            series[key] = .histogram(h)
        case (.histogram, _):
            var h = LatencyHistogram()
            h.record(value)
            series[key] = .histogram(h)
        default: series[key] = .value(value)
        }
        if now - lastWrite >= interval { writeFile(now) }
    }

    /// Sends what is queued and writes the file; called at exit.
    public func flush() {
        let now = Timestamps.monotonic()
        sendUnsent(now)
        writeFile(now)
    }

    private func sendUnsent(_ now: Double) {
        guard let statsd else { return }
        lastSend = now
        for (prefix, value) in unsent.sorted(by: { $0.key < $1.key }) {
            // The prefix is `name|type|#tags`: the value goes between the name and the type.
            let bar = prefix.firstIndex(of: "|")!
            statsd.send("\(prefix[..<bar]):\(Metrics.number(value))\(prefix[bar...])")
        }
        unsent.removeAll(keepingCapacity: true)
        statsd.flush()
    }

    private func writeFile(_ now: Double) {
        guard let file else { return }
        lastWrite = now
        var text = ""
        var described: Set<Metric> = []
        for key in series.keys.sorted() {
            let m = key.metric
            let name = m.prometheusName
            if described.insert(m).inserted {
                text += "# HELP \(name) \(m.help)\n# TYPE \(name) \(m.kind.rawValue)\n"
            }
            switch series[key]! {
            case .value(let v):
                text += "\(name)\(key.labels) \(Metrics.number(v))\n"
            case .histogram(let h):
                let inner = key.labels.isEmpty ? "" : String(key.labels.dropFirst().dropLast()) + ","
                for bound in m.buckets {
                    text += "\(name)_bucket{\(inner)le=\"\(Metrics.number(bound))\"} \(h.count(atMost: bound))\n"
                }
                text += "\(name)_bucket{\(inner)le=\"+Inf\"} \(h.count)\n"
                text += "\(name)_sum\(key.labels) \(Metrics.number(h.sum))\n"
                text += "\(name)_count\(key.labels) \(h.count)\n"
            }
        }
        do { try file.write(text) } catch {
            if !warned {
                warned = true
                diagnostics?.warning("metrics file: \(error); metrics go on without it")
            }
        }
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
