/// The one place metric tags are made safe for their two formats, whatever the text holds
/// (an integration name from the config file, a status, a reason): a DogStatsD tag value keeps
/// letters, digits and `_ - . / :` and every other character becomes `_`, so no name can end a
/// tag (`,`), a datagram line (`\n`) or start a field (`|`, `#`); a Prometheus label value is
/// escaped as the text format says, and other control characters become `_`, so no name can end a
/// sample line. Tag keys are lt's own, or `--metrics-tag`/`DD_TAGS` keys checked by
/// ``MetricsSettings/parseTag(_:from:)``, which refuses the ``reservedKeys``.
public enum MetricTags {
    /// Keys lt sets on its own samples; a user tag with one of these keys would forge or split lt's series.
    public static let reservedKeys = ["integration", "le", "reason", "status", "tool"]

    /// `key:value` for DogStatsD.
    static func statsd(_ key: String, _ value: String) -> String {
        var out = key + ":"
        out.unicodeScalars.append(
            contentsOf: value.unicodeScalars.map { s in
                s.isASCII && (isAlnum(s) || "_-./:".unicodeScalars.contains(s)) ? s : "_"
            })
        return out
    }

    /// A Prometheus label value, escaped (`\\`, `\"`, `\n`), other control characters as `_`.
    static func prometheusValue(_ value: String) -> String {
        var out = ""
        for s in value.unicodeScalars {
            switch s {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default:
                if s.value < 0x20 || s.value == 0x7F || (s.value >= 0x80 && s.value <= 0x9F) || s.value == 0x2028
                    || s.value == 0x2029
                {
                    out += "_"
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out
    }

    private static func isAlnum(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9")
    }
}
