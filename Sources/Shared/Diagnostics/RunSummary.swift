/// A tool's end-of-run counts, printed by `--stats` as text or, with `--stats=json`, as one JSON object.
public protocol RunSummary {
    /// Lines for people, without the tool's name.
    var textLines: [String] { get }
    func writeJSON(to json: inout JSONBuffer)
}
