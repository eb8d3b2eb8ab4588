/// Every secret a run knows (static tokens, OAuth2 client secrets and the access tokens fetched
/// with them, signing secrets, key passphrases), and the one place text is masked with them.
///
/// One instance per run, shared by ``Diagnostics`` and lt-send's delivery code, so a secret learnt
/// late (a fresh OAuth2 access token) is masked from then on in everything: results, the attempt
/// log, stderr. Each secret is masked as written and as it reads once encoded the ways a partner
/// might echo it back: JSON-escaped (with or without `\/` and `\uXXXX`) and form-encoded.
public final class SecretSet {
    /// The forms to replace, longest first, so a secret holding another is masked whole.
    private var forms: [String] = []
    private var known: Set<String> = []
    /// Access tokens, oldest first: only the most recent ``tokensKept`` are remembered, so a token
    /// endpoint issuing a token per request cannot grow the set without bound.
    private var tokens: [String] = []
    static let tokensKept = 16
    /// Lt's own messages mask only secrets this long or longer: a shorter one would garble words.
    /// Outside text (``MaskedText``) masks every secret, whatever its length.
    static let ownTextMinimum = 6

    public init() {}

    /// The longest form of any secret, in bytes: how far past a cut text must be read to mask a
    /// secret that starts before it.
    public private(set) var longestForm = 0

    /// Adds a secret read at start-up; several separated by spaces, commas or newlines (signing
    /// secrets during a rotation) are added one by one, and a `whsec_` secret's key alone too.
    public func add(_ secret: String) {
        for part in secret.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }) {
            insert(String(part))
            if part.hasPrefix("whsec_") { insert(String(part.dropFirst(6))) }
        }
    }

    /// Adds an OAuth2 access token, forgetting the oldest beyond ``tokensKept``.
    public func addToken(_ token: String) {
        guard !known.contains(token) else { return }
        tokens.append(token)
        insert(token)
        if tokens.count > Self.tokensKept { remove(tokens.removeFirst()) }
    }

    /// Outside text with every secret masked: the only way to build a ``MaskedText``.
    public func mask(outside text: String) -> MaskedText { MaskedText(replacing(text, minimum: 1)) }

    /// The start of an outside body (at most `limit` bytes, cut on a character boundary, invalid
    /// UTF-8 replaced), masked. Masked before it is cut, so a secret straddling the cut leaves no prefix.
    public func snippet(_ body: [UInt8], limit: Int = 4096) -> MaskedText? {
        guard !body.isEmpty else { return nil }
        let window = String(decoding: body.prefix(limit + longestForm), as: UTF8.self)
        let masked = replacing(window, minimum: 1)
        var bytes = Array(masked.utf8)
        if bytes.count > limit {
            // Step back over continuation bytes so a character is not cut in two.
            var end = limit
            while end > 0, limit - end < 4, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            bytes.removeSubrange(end...)
        }
        return MaskedText(String(decoding: bytes, as: UTF8.self))
    }

    /// Lt's own text (a diagnostic, possibly quoting a file or a variable) with every secret of at
    /// least ``ownTextMinimum`` characters masked.
    public func mask(own text: String) -> String { replacing(text, minimum: Self.ownTextMinimum) }

    private func replacing(_ text: String, minimum: Int) -> String {
        var text = text
        for form in forms where form.count >= minimum && text.contains(form) {
            text = text.replacing(form, with: "***")
        }
        return text
    }

    private func insert(_ secret: String) {
        guard !secret.isEmpty, known.insert(secret).inserted else { return }
        for form in Self.encodings(of: secret) where !forms.contains(form) { forms.append(form) }
        reorder()
    }

    private func remove(_ secret: String) {
        known.remove(secret)
        let gone = Set(Self.encodings(of: secret))
        let kept = Set(known.flatMap(Self.encodings(of:)))
        forms.removeAll { gone.contains($0) && !kept.contains($0) }
        reorder()
    }

    private func reorder() {
        forms.sort { $0.utf8.count > $1.utf8.count }
        longestForm = forms.first?.utf8.count ?? 0
    }

    /// `secret` as written, JSON-escaped (minimal, with `\/`, and ASCII-only with `\uXXXX`, as
    /// Python's `json.dumps` writes), and form-encoded (`%XX`, upper and lower case hex).
    static func encodings(of secret: String) -> [String] {
        var json = ""
        var jsonSlash = ""
        var ascii = ""
        for u in secret.unicodeScalars {
            switch u {
            case "\"": json += "\\\""; jsonSlash += "\\\""; ascii += "\\\""
            case "\\": json += "\\\\"; jsonSlash += "\\\\"; ascii += "\\\\"
            case "/": json += "/"; jsonSlash += "\\/"; ascii += "/"
            default:
                json.unicodeScalars.append(u)
                jsonSlash.unicodeScalars.append(u)
                if u.isASCII {
                    ascii.unicodeScalars.append(u)
                } else {
                    for unit in String(u).utf16 { ascii += "\\u" + hex(Int(unit), width: 4, upper: false) }
                }
            }
        }
        var upper = ""
        var lower = ""
        for c in secret.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                upper.unicodeScalars.append(Unicode.Scalar(c))
                lower.unicodeScalars.append(Unicode.Scalar(c))
            default:
                upper += "%" + hex(Int(c), width: 2, upper: true)
                lower += "%" + hex(Int(c), width: 2, upper: false)
            }
        }
        var out: [String] = []
        for form in [secret, json, jsonSlash, ascii, upper, lower] where !out.contains(form) { out.append(form) }
        return out
    }

    private static func hex(_ value: Int, width: Int, upper: Bool) -> String {
        let digits = String(value, radix: 16, uppercase: upper)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Text from outside (a partner's answer, a token endpoint's error code, a transport error) with
/// every secret of the run masked. Results, the attempt log and lt-send's log lines take outside
/// text only as this type, and only ``SecretSet`` builds it, so a new road from a partner to a
/// sink cannot skip the masking.
public struct MaskedText: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    fileprivate init(_ text: String) { self.text = text }
    public var description: String { text }
}
