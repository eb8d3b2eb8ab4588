#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text format, for node_exporter's textfile collector: the file is written
/// whole to a temporary name and renamed over the old one, so the collector never reads half.
struct PrometheusFile {
    let path: String

    func write(_ text: String) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(.writing, "cannot write \(tmp): \(String(cString: strerror(errno)))") }
        var text = text
        let ok = text.withUTF8 { b -> Bool in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw IOError(.writing, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `{key="value",…}` with values escaped by ``MetricTags``; keys are checked where they enter.
    static func labels(_ tags: [(String, String)]) -> String {
        guard !tags.isEmpty else { return "" }
        let body = tags.map { k, v in "\(k)=\"\(MetricTags.prometheusValue(v))\"" }
        return "{" + body.joined(separator: ",") + "}"
    }
}
