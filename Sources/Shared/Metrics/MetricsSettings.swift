/// Where metrics go and how they are tagged, from the options and the environment:
/// `--metrics`, else `LT_METRICS`, else `DD_AGENT_HOST` and `DD_DOGSTATSD_PORT` (8125); Datadog's
/// unified service tags from `DD_ENV`, `DD_SERVICE`, `DD_VERSION` and `DD_TAGS`; and `--metrics-tag`,
/// which tags both the DogStatsD metrics and the Prometheus file.
public struct MetricsSettings: Sendable {
    /// `statsd://HOST:PORT`, or nil for no DogStatsD.
    public var statsdURL: String?
    public var filePath: String?
    /// Seconds between rewrites of the file during a run.
    public var fileInterval = 15.0
    /// `--metrics-tag` pairs, for DogStatsD and the file.
    public var tags: [(String, String)] = []
    /// The Datadog environment's tags, for DogStatsD only (they are Datadog's convention).
    public var datadogTags: [(String, String)] = []
    /// Problems with the environment's tags, for the caller to warn about; the bad tags are left out.
    public var ignored: [String] = []

    public init() {}

    var statsdTags: [(String, String)] { datadogTags + tags }

    /// Settings from the options (`tags` as given to `--metrics-tag`) and `environment`.
    public static func resolve(
        statsd option: String?, file: String?, interval: Double, tags: [String],
        environment: [String: String]
    ) throws -> MetricsSettings {
        var s = MetricsSettings()
        s.filePath = file
        s.fileInterval = interval
        s.tags = try tags.map { try parseTag($0, from: "--metrics-tag") }
        if let option {
            s.statsdURL = option
        } else if let url = environment["LT_METRICS"], !url.isEmpty {
            s.statsdURL = url
        } else if let host = environment["DD_AGENT_HOST"], !host.isEmpty {
            let port = environment["DD_DOGSTATSD_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "8125"
            guard UInt16(port) != nil else {
                throw ConfigError(
                    "DD_DOGSTATSD_PORT=\(port) is not a port number",
                    hint: "set it to the agent's UDP port, such as 8125")
            }
            s.statsdURL = "statsd://\(host):\(port)"
        }
        for (variable, tag) in [("DD_ENV", "env"), ("DD_SERVICE", "service"), ("DD_VERSION", "version")] {
            guard let value = environment[variable], !value.isEmpty else { continue }
            do { s.datadogTags.append(try parseTag("\(tag):\(value)", from: variable)) } catch {
                s.ignored.append("\(error)")
            }
        }
        for word in (environment["DD_TAGS"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }) {
            do { s.datadogTags.append(try parseTag(String(word), from: "DD_TAGS")) } catch {
                s.ignored.append("\(error)")
            }
        }
        return s
    }

    /// Throws when `DD_TAGS` names a key lt sets itself. Other bad tags in the environment are
    /// left out with a warning, but this one is refused (exit 2): the run would report its figures
    /// under a forged or split series.
    public static func refuseReservedKeys(environment: [String: String]) throws {
        for word in (environment["DD_TAGS"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }) {
            let key = String(word.prefix { $0 != ":" })
            if MetricTags.reservedKeys.contains(key) {
                throw ConfigError(
                    "DD_TAGS has the tag key \(key), which lt sets itself",
                    hint: "remove it from DD_TAGS; lt sets \(MetricTags.reservedKeys.joined(separator: ", "))")
            }
        }
    }

    /// `key:value`, checked where it enters: the key a letter then letters, digits and `_`, the value
    /// letters, digits and `_ - . : /`, at most 200 characters in all, as Datadog and Prometheus both take them.
    public static func parseTag(_ text: String, from origin: String) throws -> (String, String) {
        let hint = "write key:value, such as team:payments (letters, digits and _ - . : / only)"
        guard let colon = text.firstIndex(of: ":") else {
            throw ConfigError("\(origin) \(text.prefix(60)) is not key:value", hint: hint)
        }
        let key = String(text[..<colon])
        let value = String(text[text.index(after: colon)...])
        let keyOK =
            key.first.map { $0.isASCII && $0.isLetter } == true
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        let valueOK =
            !value.isEmpty && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.:/".contains($0)) }
        guard keyOK, valueOK, text.count <= 200 else {
            throw ConfigError("\(origin) \(text.prefix(60)) is not a valid tag", hint: hint)
        }
        guard !MetricTags.reservedKeys.contains(key) else {
            throw ConfigError(
                "\(origin) \(key) is a tag key lt sets itself",
                hint: "choose another key; lt sets \(MetricTags.reservedKeys.joined(separator: ", "))")
        }
        return (key, value)
    }
}
