#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text format, for node_exporter's textfile collector: the file is written
/// whole to a temporary name and renamed over the old one, so the collector never reads half.
struct PrometheusFile {
    let path: String

    /// Histogram bucket bounds in milliseconds.
    static let buckets: [Double] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

    func write(_ text: String) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConfigError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
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
            throw ConfigError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `webhook.learning_time.query.duration` becomes `webhook_learning_time_query_duration`.
    static func name(_ metric: String) -> String {
        String(metric.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func labels(_ tags: [(String, String)], extra: (String, String)? = nil) -> String {
        var all = tags
        if let extra { all.append(extra) }
        guard !all.isEmpty else { return "" }
        let body = all.map { k, v in
            "\(name(k))=\"\(v.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n"))\""
        }
        return "{" + body.joined(separator: ",") + "}"
    }
}
