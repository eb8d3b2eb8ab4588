import Shared

extension InputOptions {
    /// With `--stats --stats-interval N`, prints the current summary every N while lines flow.
    public func reportPeriodically(_ diagnostics: Diagnostics, _ summary: @escaping () -> RunSummary) {
        guard stats, let statsInterval else { return }
        diagnostics.hooks.periodic = PeriodicReport(interval: statsInterval.seconds) {
            self.report(summary(), diagnostics)
        }
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
