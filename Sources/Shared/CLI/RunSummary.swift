/// A tool's end-of-run counts, printed by `--stats` as text or, with `--stats=json`, as one JSON object.
public protocol RunSummary {
    /// Lines for people, without the tool's name.
    var textLines: [String] { get }
    func writeJSON(to json: inout JSONBuffer)
}

extension InputOptions {
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
