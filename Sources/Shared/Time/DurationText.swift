/// Durations as people type them: `20ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
public enum DurationText {
    public static func parse(_ text: String, option: String) throws -> Double {
        let p = text.trimmed(" ")
        let (number, unit): (Substring, Double) =
            p.hasSuffix("ms")
            ? (p.dropLast(2), 0.001)
            : p.hasSuffix("s")
                ? (p.dropLast(), 1)
                : p.hasSuffix("m") ? (p.dropLast(), 60) : p.hasSuffix("h") ? (p.dropLast(), 3600) : (p[...], 1)
        guard let v = Double(number), v >= 0, v.isFinite else {
            throw ConfigError(
                "\(option): \"\(text)\" is not a duration", hint: "use a number with ms, s, m or h, such as 20ms or 30s"
            )
        }
        return v * unit
    }

    /// A comma-separated list of durations, such as `30s,60s,120s`.
    public static func parseList(_ text: String, option: String) throws -> [Double] {
        try text.split(separator: ",").map { try parse(String($0), option: option) }
    }

    /// A duration the way `parse` reads it back: `250ms`, `1.5s`, `30s`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let tenths = (seconds * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))s" : "\(tenths / 10)s"
    }
}
