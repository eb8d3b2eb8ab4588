#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text format, for node_exporter's textfile collector: the file is written
/// whole to a temporary name and renamed over the old one, so the collector never reads half
/// (``StateFile/replace(_:with:mode:what:)``: never through a link).
struct PrometheusFile {
    let path: String

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try StateFile.replace(path, with: $0, mode: 0o644, what: "the metrics file") }
    }

    /// `{key="value",…}` with values escaped by ``MetricTags``; keys are checked where they enter.
    static func labels(_ tags: [(String, String)]) -> String {
        guard !tags.isEmpty else { return "" }
        let body = tags.map { k, v in "\(k)=\"\(MetricTags.prometheusValue(v))\"" }
        return "{" + body.joined(separator: ",") + "}"
    }
}
