/// Checks a request header given by the user (`lt-send -H`) where it enters: a value that would
/// change the request's structure is refused, not escaped.
public enum HeaderField {
    /// Headers lt-send writes itself; setting them by hand would contradict the request it sends.
    public static let owned: Set<String> = [
        "host", "content-length", "content-type", "transfer-encoding", "connection",
    ]

    /// Throws unless `name` is an HTTP token, `value` has no CR, LF or other control character,
    /// and the header is not one lt-send owns (the `webhook-*` ones, and Authorization when
    /// `hasAuth`, since the request's authentication sets it).
    public static func validate(name: String, value: String, hasAuth: Bool) throws {
        let tokenChars = Set("!#$%&'*+-.^_`|~".utf8)
        guard !name.isEmpty,
            name.utf8.allSatisfy({ c in
                (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || tokenChars.contains(c)
            })
        else {
            throw ConfigError(
                "header name \"\(name.prefix(40))\" is not an HTTP token",
                hint: "use letters, digits and - (such as X-Partner-Id)")
        }
        guard value.unicodeScalars.allSatisfy({ $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }) else {
            throw ConfigError(
                "the value of header \(name) contains a control character (such as CR or LF)",
                hint: "remove line breaks and control characters from the value")
        }
        let lower = name.lowercased()
        if owned.contains(lower) || lower.hasPrefix("webhook-") || (hasAuth && lower == "authorization") {
            throw ConfigError(
                "header \(name) is set by lt-send itself",
                hint: hasAuth && lower == "authorization" ? "drop it: the token option sets Authorization" : "drop it")
        }
    }
}
