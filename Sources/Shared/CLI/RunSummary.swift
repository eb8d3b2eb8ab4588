/// A tool's end-of-run counts, printed by `--stats` as text or, with `--stats=json`, as one JSON object.
public protocol RunSummary {
    /// Lines for people, without the tool's name.
    var textLines: [String] { get }
    func writeJSON(to json: inout JSONBuffer)
}

extension InputOptions {
    /// With `--stats --stats-interval N`, prints the current summary every N seconds while lines flow.
    public func reportPeriodically(_ diagnostics: Diagnostics, _ summary: @escaping () -> RunSummary) {
        guard stats, let statsInterval else { return }
        diagnostics.periodic = PeriodicReport(interval: statsInterval) { self.report(summary(), diagnostics) }
    }

    /// Prints `summary` on stderr when `--stats` was given, in the format asked for.
    public func report(_ summary: RunSummary, _ diagnostics: Diagnostics) {
        guard stats else { return }
        switch statsFormat {
        case .text:
            diagnostics.raw(summary.textLines.map { "\(diagnostics.tool): \($0)" }.joined(separator: "\n"))
        case .json:
            var json = JSONBuffer()
            summary.writeJSON(to: &json)
            diagnostics.raw(String(decoding: json.bytes, as: UTF8.self))
        }
    }
}

/// Runs an action every `interval` seconds: checked as lines are read (cheaply: the clock is
/// read once every 256 lines) and, through ``tick()``, while the input is waited for.
public final class PeriodicReport {
    private let interval: Double
    private let action: () -> Void
    private var next: Double
    private var lines = 0

    public init(interval: Double, action: @escaping () -> Void) {
        self.interval = interval
        self.action = action
        next = Timestamps.monotonic() + interval
    }

    public func lineRead() {
        lines += 1
        guard lines & 255 == 0 else { return }
        tick()
    }

    /// Runs the action when it is due.
    public func tick() {
        let now = Timestamps.monotonic()
        if now >= next {
            next = now + interval
            action()
        }
    }

    /// How long a wait for input may last before ``tick()`` is called: a quarter of the interval, at most 250 ms.
    public var waitMilliseconds: Int32 { Int32(max(1, min(250, interval * 250))) }
}
