/// A request header's name: an HTTP token (RFC 9110), built only by validation.
public struct HeaderName: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let text: String

    /// Throws unless `text` is a non-empty HTTP token.
    public init(_ text: String) throws {
        let tokenChars = Set("!#$%&'*+-.^_`|~".utf8)
        guard !text.isEmpty,
            text.utf8.allSatisfy({ c in
                (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || tokenChars.contains(c)
            })
        else {
            throw ConfigError(
                "header name \"\(TerminalText.escape(String(text.prefix(40))))\" is not a valid header name (an HTTP token)",
                hint: "use letters, digits and - (such as X-Partner-Id)")
        }
        self.text = text
    }

    /// A name written in lt's own code; a literal that is not a token is a programming error.
    public init(stringLiteral value: StaticString) {
        // swift-format-ignore: NeverUseForceTry
        self = try! HeaderName(value.description)
    }

    public var lowercased: String { text.lowercased() }
    public var description: String { text }
}

/// A request header's value: one line of text without CR, LF, NUL or any other control
/// character (tab allowed), built only by validation. The request builder (``HTTPRequest``)
/// accepts nothing else, so a value from a config file, an option, an environment variable, a
/// token endpoint or an input line cannot add a header line on the wire, whatever road it took.
public struct HeaderValue: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let text: String

    /// Throws ``HeaderValue/Invalid`` when `text` holds a control character.
    public init(_ text: String) throws(Invalid) {
        if let bad = text.unicodeScalars.first(where: { $0 != "\t" && ($0.value < 0x20 || $0.value == 0x7F) }) {
            throw Invalid(scalar: bad.value)
        }
        self.text = text
    }

    /// A value written in lt's own code; a literal with a control character is a programming error.
    public init(stringLiteral value: StaticString) {
        // swift-format-ignore: NeverUseForceTry
        self = try! HeaderValue(value.description)
    }

    /// `prefix` then `value` (such as `Bearer <token>`): checked parts joined stay valid.
    public init(_ prefix: StaticString, _ value: HeaderValue) {
        text = prefix.description + value.text
    }

    /// `text` when its characters are known to be safe, such as digits or base64 that lt computed.
    init(computed text: String) {
        precondition(text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
        self.text = text
    }

    public var description: String { text }

    /// Why a value was refused: the control character it holds.
    public struct Invalid: Error, Sendable {
        public let scalar: UInt32
        /// "0x0d (CR)" and the like, for messages.
        public var character: String {
            let hex = "0x" + String(scalar, radix: 16, uppercase: false).leftPadded(to: 2)
            switch scalar {
            case 0x0D: return hex + " (CR)"
            case 0x0A: return hex + " (LF)"
            case 0x00: return hex + " (NUL)"
            case 0x1B: return hex + " (ESC)"
            default: return hex
            }
        }
    }
}

/// One request header, both halves checked.
public struct HTTPHeader: Sendable, Hashable {
    public let name: HeaderName
    public let value: HeaderValue

    public init(_ name: HeaderName, _ value: HeaderValue) {
        self.name = name
        self.value = value
    }

    /// Headers lt-send writes itself (compared in lower case); a user setting them would
    /// contradict the request it sends. The one list for `-H` and the integrations file.
    public static let reserved: Set<String> = [
        "host", "content-length", "content-type", "transfer-encoding", "connection", "expect", "te", "upgrade",
    ]

    /// Checks a header the user gives (`-H`, the integrations file's `headers`): a token name, a
    /// value without control characters, and not one lt-send owns (the reserved names, every
    /// `webhook-*` header, and Authorization when `hasAuth`, since the request's authentication
    /// sets it). The one validator for both roads.
    public static func user(name: String, value: String, hasAuth: Bool) throws -> HTTPHeader {
        let n = try HeaderName(name)
        let v: HeaderValue
        do {
            v = try HeaderValue(value)
        } catch {
            throw ConfigError(
                "the value of header \(name) contains a control character (\(error.character))",
                hint: "header values are one line of text; remove line breaks and control characters")
        }
        let lower = n.lowercased
        if reserved.contains(lower) || lower.hasPrefix("webhook-") || (hasAuth && lower == "authorization") {
            throw ConfigError(
                "header \(name) is set by lt-send itself and may not be set by hand",
                hint: hasAuth && lower == "authorization"
                    ? "drop it: the request's auth sets Authorization"
                    : "drop it (lt-send sets \(reserved.sorted().joined(separator: ", ")) and webhook-*)")
        }
        return HTTPHeader(n, v)
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
