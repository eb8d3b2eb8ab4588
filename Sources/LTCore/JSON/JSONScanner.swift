// Over 400 lines on purpose: the scanner's loops share its pointer, depth stack and error
// reporting, and splitting them across files would make them internal or slower to inline.
#if canImport(Glibc)
import Glibc
#endif

/// One member of a JSON object, as byte offsets into the scanned text.
public struct JSONMember {
    /// Where the member starts (its key's opening quote) and where its value ends.
    public var start: Int
    /// The key's text between its quotes, still escaped when `keyHasEscapes`.
    public var keyStart: Int
    public var keyEnd: Int
    public var keyHasEscapes: Bool
    public var valueStart: Int
    public var valueEnd: Int

    public var value: Range<Int> { valueStart..<valueEnd }
    public var whole: Range<Int> { start..<valueEnd }
}

/// A validating JSON scanner over raw bytes that decodes nothing it is not asked for.
///
/// It checks a value against RFC 8259 (including UTF-8 inside strings) and reports where values
/// start and end, so tools can read a few fields and splice the rest byte for byte. Nesting is
/// followed without recursion, up to ``maxDepth``. The scanning loops are marked
/// `@_optimize(speed)`: the release build is otherwise optimized for size (scripts/build-release.sh).
public struct JSONScanner {
    public let base: UnsafePointer<UInt8>
    public let count: Int
    public var maxDepth = 512
    /// Set by ``validateDocument()`` once the whole text is known to be valid JSON: later scans of
    /// its parts then find string ends without checking escapes and UTF-8 again.
    public private(set) var isValidated = false

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have no base address; any valid pointer will do since count is 0.
        self.base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        self.count = bytes.count
    }

    @inline(__always)
    public subscript(i: Int) -> UInt8 { base[i] }

    @inline(__always)
    public func skipWhitespace(_ i: Int) -> Int {
        var i = i
        while i < count {
            let c = base[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
        return i
    }

    /// Validates that the whole text is one JSON value with only whitespace around it; returns its range.
    @_optimize(speed)
    public func document() throws -> Range<Int> {
        let s = skipWhitespace(0)
        guard s < count else { throw JSONError("empty line; expected a JSON object", at: 0) }
        let e = try valueEnd(from: s)
        let after = skipWhitespace(e)
        guard after == count else { throw JSONError("unexpected text after the JSON value", at: after) }
        return s..<e
    }

    /// The members of the object starting at `i` (which must be `{`), validating every value.
    public func members(ofObjectAt i: Int) throws -> [JSONMember] {
        try scanMembers(ofObjectAt: i, expanding: nil).members
    }

    /// ``members(ofObjectAt:)``, with the members of the object that is the value of member
    /// `inner` (the last such member), found in the same pass rather than by scanning that object
    /// twice: once to skip it, once to read it. Nil when there is no such member or it is not an object.
    public func members(ofObjectAt i: Int, withMembersOf inner: StaticString) throws -> (
        members: [JSONMember], inner: [JSONMember]?
    ) {
        let r = try scanMembers(ofObjectAt: i, expanding: inner)
        return (r.members, r.inner)
    }

    /// Calls `visit` with each member of the object at `i` in order, validating every value, and
    /// returns where the object ends. Nothing is stored: a reader of a few members per line
    /// (lt-rollup) pays no allocation.
    public func forEachMember(ofObjectAt i: Int, _ visit: (JSONMember) -> Void) throws -> Int {
        try forEachMember(ofObjectAt: i, expanding: nil) { m, _ in visit(m) }
    }

    private func scanMembers(ofObjectAt i: Int, expanding inner: StaticString?) throws -> (
        members: [JSONMember], inner: [JSONMember]?, end: Int
    ) {
        var out: [JSONMember] = []
        var expanded: [JSONMember]?
        let end = try forEachMember(ofObjectAt: i, expanding: inner) { m, nested in
            out.append(m)
            if let nested { expanded = nested }
        }
        return (out, expanded, end)
    }

    /// Calls `visit` with each member of the object at `i` in order, and with the members of the
    /// value of member `inner` when that is an object; returns where the object ends. Nothing is
    /// stored, so a question about one member costs no allocation.
    @_optimize(speed)
    private func forEachMember(
        ofObjectAt i: Int, expanding inner: StaticString?, _ visit: (JSONMember, [JSONMember]?) -> Void
    ) throws -> Int {
        guard i < count, base[i] == UInt8(ascii: "{") else { throw JSONError("expected a JSON object", at: i) }
        var j = skipWhitespace(i + 1)
        if j < count && base[j] == UInt8(ascii: "}") { return j + 1 }
        while true {
            guard j < count, base[j] == UInt8(ascii: "\"") else { throw JSONError("expected a string key", at: j) }
            let (keyEnd, esc) = try stringEnd(from: j)
            var k = skipWhitespace(keyEnd)
            guard k < count, base[k] == UInt8(ascii: ":") else {
                throw JSONError("expected ':' after an object key", at: k)
            }
            k = skipWhitespace(k + 1)
            var m = JSONMember(
                start: j, keyStart: j + 1, keyEnd: keyEnd - 1, keyHasEscapes: esc, valueStart: k, valueEnd: k)
            var nested: [JSONMember]?
            if let inner, k < count, base[k] == UInt8(ascii: "{"), key(of: m, equals: inner) {
                let r = try scanMembers(ofObjectAt: k, expanding: nil)
                nested = r.members
                m.valueEnd = r.end
            } else {
                m.valueEnd = try valueEnd(from: k)
            }
            visit(m, nested)
            j = skipWhitespace(m.valueEnd)
            guard j < count else { throw JSONError("unterminated object", at: j) }
            if base[j] == UInt8(ascii: "}") { return j + 1 }
            guard base[j] == UInt8(ascii: ",") else { throw JSONError("expected ',' or '}' in an object", at: j) }
            j = skipWhitespace(j + 1)
        }
    }

    /// How many members of the object at `i` are named `name`, validating the object as a whole.
    public func count(of name: StaticString, inObjectAt i: Int) throws -> Int {
        var n = 0
        _ = try forEachMember(ofObjectAt: i, expanding: nil) { m, _ in if key(of: m, equals: name) { n += 1 } }
        return n
    }

    /// Finds member `name` in the object at `i`, validating the object as a whole.
    public func member(_ name: StaticString, ofObjectAt i: Int) throws -> JSONMember? {
        var found: JSONMember?
        _ = try forEachMember(ofObjectAt: i, expanding: nil) { m, _ in
            if found == nil && key(of: m, equals: name) { found = m }
        }
        return found
    }

    /// For each of `names`, in their order, the last of `members` with that key (the last of a
    /// repeated member wins, as in most JSON readers), or nil: the members a reader needs, picked
    /// in one pass.
    public func pick(_ names: [StaticString], from members: [JSONMember]) -> [JSONMember?] {
        var found = [JSONMember?](repeating: nil, count: names.count)
        for m in members {
            if let i = names.firstIndex(where: { key(of: m, equals: $0) }) { found[i] = m }
        }
        return found
    }

    /// Compares a member's key with `name`, decoding escapes only when the key has any.
    public func key(of m: JSONMember, equals name: StaticString) -> Bool {
        if !m.keyHasEscapes {
            let n = name.utf8CodeUnitCount
            guard m.keyEnd - m.keyStart == n else { return false }
            return memcmp(base + m.keyStart, name.utf8Start, n) == 0
        }
        return keyText(m) == name.description
    }

    /// Whether two members have the same key, compared unescaped; raw bytes when neither has escapes.
    public func sameKey(_ a: JSONMember, _ b: JSONMember) -> Bool {
        if !a.keyHasEscapes && !b.keyHasEscapes {
            let n = a.keyEnd - a.keyStart
            return n == b.keyEnd - b.keyStart && (n == 0 || memcmp(base + a.keyStart, base + b.keyStart, n) == 0)
        }
        return keyText(a) == keyText(b)
    }

    /// Compares a member's key with a runtime string.
    public func key(of m: JSONMember, equalsString name: String) -> Bool {
        if !m.keyHasEscapes {
            var name = name
            return name.withUTF8 { n in
                n.count == m.keyEnd - m.keyStart
                    && (n.count == 0 || memcmp(base + m.keyStart, n.baseAddress!, n.count) == 0)
            }
        }
        return keyText(m) == name
    }

    /// ``document()``, remembering that the text is valid so that later scans of its parts skip
    /// the checks already made.
    public mutating func validateDocument() throws -> Range<Int> {
        let doc = try document()
        isValidated = true
        return doc
    }

    /// The end (exclusive) of the value starting at `i`.
    @_optimize(speed)
    public func valueEnd(from i: Int) throws -> Int {
        if isValidated { return try validatedValueEnd(from: i) }
        var i = i
        // Open containers, innermost last: true for an object, false for an array.
        var stack: [Bool] = []
        while true {
            // A value starts at i.
            guard i < count else { throw JSONError("unexpected end of line; expected a value", at: i) }
            switch base[i] {
            case UInt8(ascii: "\""):
                i = try stringEnd(from: i).end
            case UInt8(ascii: "{"):
                i = skipWhitespace(i + 1)
                if i < count && base[i] == UInt8(ascii: "}") { i += 1; break }
                guard stack.count < maxDepth else { throw JSONError("nested deeper than \(maxDepth) levels", at: i) }
                stack.append(true)
                i = try keyAndColon(at: i)
                continue
            case UInt8(ascii: "["):
                i = skipWhitespace(i + 1)
                if i < count && base[i] == UInt8(ascii: "]") { i += 1; break }
                guard stack.count < maxDepth else { throw JSONError("nested deeper than \(maxDepth) levels", at: i) }
                stack.append(false)
                continue
            case UInt8(ascii: "t"): i = try literal(i, "true")
            case UInt8(ascii: "f"): i = try literal(i, "false")
            case UInt8(ascii: "n"): i = try literal(i, "null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                i = try numberEnd(from: i)
            default:
                throw JSONError("unexpected character; expected a JSON value", at: i)
            }
            // A value ended at i: close containers or move to the next element.
            while true {
                guard let isObject = stack.last else { return i }
                i = skipWhitespace(i)
                guard i < count else { throw JSONError(isObject ? "unterminated object" : "unterminated array", at: i) }
                let c = base[i]
                if c == UInt8(ascii: ",") {
                    i = skipWhitespace(i + 1)
                    if isObject { i = try keyAndColon(at: i) }
                    break
                }
                if isObject ? c == UInt8(ascii: "}") : c == UInt8(ascii: "]") {
                    stack.removeLast()
                    i += 1
                    continue
                }
                throw JSONError(
                    isObject ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array", at: i)
            }
        }
    }

    @_optimize(speed)
    private func keyAndColon(at i: Int) throws -> Int {
        guard i < count, base[i] == UInt8(ascii: "\"") else { throw JSONError("expected a string key", at: i) }
        var j = skipWhitespace(try stringEnd(from: i).end)
        guard j < count, base[j] == UInt8(ascii: ":") else {
            throw JSONError("expected ':' after an object key", at: j)
        }
        j = skipWhitespace(j + 1)
        return j
    }

    private func literal(_ i: Int, _ word: StaticString) throws -> Int {
        let n = word.utf8CodeUnitCount
        guard i + n <= count, memcmp(base + i, word.utf8Start, n) == 0 else {
            throw JSONError("invalid literal; expected true, false or null", at: i)
        }
        return i + n
    }

    /// The end of the number starting at `i`, checked against JSON's number grammar.
    @_optimize(speed)
    public func numberEnd(from i: Int) throws -> Int {
        var j = i
        if j < count && base[j] == UInt8(ascii: "-") { j += 1 }
        guard j < count, isDigit(base[j]) else { throw JSONError("invalid number", at: j) }
        if base[j] == UInt8(ascii: "0") {
            j += 1
            if j < count && isDigit(base[j]) { throw JSONError("invalid number: leading zero", at: j) }
        } else {
            while j < count && isDigit(base[j]) { j += 1 }
        }
        if j < count && base[j] == UInt8(ascii: ".") {
            j += 1
            guard j < count, isDigit(base[j]) else {
                throw JSONError("invalid number: digits expected after '.'", at: j)
            }
            while j < count && isDigit(base[j]) { j += 1 }
        }
        if j < count && (base[j] == UInt8(ascii: "e") || base[j] == UInt8(ascii: "E")) {
            j += 1
            if j < count && (base[j] == UInt8(ascii: "+") || base[j] == UInt8(ascii: "-")) { j += 1 }
            guard j < count, isDigit(base[j]) else {
                throw JSONError("invalid number: digits expected in exponent", at: j)
            }
            while j < count && isDigit(base[j]) { j += 1 }
        }
        return j
    }

    @inline(__always)
    private func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// The end (after the closing quote) of the string starting at `i`, and whether it has escapes.
    @_optimize(speed)
    public func stringEnd(from i: Int) throws -> (end: Int, hasEscapes: Bool) {
        if isValidated { return try validatedStringEnd(from: i) }
        var j = i + 1
        var escapes = false
        while j < count {
            let c = base[j]
            if c == UInt8(ascii: "\"") { return (j + 1, escapes) }
            if c == UInt8(ascii: "\\") {
                escapes = true
                guard j + 1 < count else { break }
                switch base[j + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    guard j + 6 <= count, (2..<6).allSatisfy({ hexValue(base[j + $0]) != nil }) else {
                        throw JSONError("invalid \\u escape in a string", at: j)
                    }
                    j += 6
                default:
                    throw JSONError("invalid escape in a string", at: j)
                }
                continue
            }
            if c < 0x20 { throw JSONError("control character in a string; escape it", at: j) }
            if c < 0x80 { j += 1; continue }
            j = try utf8SequenceEnd(from: j)
        }
        throw JSONError("unterminated string", at: count)
    }

    /// ``valueEnd(from:)`` in text already validated: containers are skipped by counting brackets
    /// outside strings, scalars run to the next delimiter. Still bounded by the text's end.
    @_optimize(speed)
    private func validatedValueEnd(from i: Int) throws -> Int {
        guard i < count else { throw JSONError("unexpected end of line; expected a value", at: i) }
        let first = base[i]
        if first == UInt8(ascii: "\"") { return try validatedStringEnd(from: i).end }
        var j = i
        if first != UInt8(ascii: "{") && first != UInt8(ascii: "[") {
            while j < count {
                switch base[j] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return j
                default: j += 1
                }
            }
            return j
        }
        var depth = 0
        while j < count {
            switch base[j] {
            case UInt8(ascii: "\""):
                j = try validatedStringEnd(from: j).end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return j + 1 }
            default:
                break
            }
            j += 1
        }
        throw JSONError("unterminated value", at: count)
    }

    /// ``stringEnd(from:)`` in text already validated: every escape is well formed, so a backslash
    /// and the byte after it are skipped whole. Still bounded by the text's end.
    @_optimize(speed)
    private func validatedStringEnd(from i: Int) throws -> (end: Int, hasEscapes: Bool) {
        var j = i + 1
        var escapes = false
        while j < count {
            let c = base[j]
            if c == UInt8(ascii: "\"") { return (j + 1, escapes) }
            if c == UInt8(ascii: "\\") {
                escapes = true
                j += 2
            } else {
                j += 1
            }
        }
        throw JSONError("unterminated string", at: count)
    }

    /// Validates one multi-byte UTF-8 sequence starting at `j` (rejecting overlong forms and surrogates).
    @_optimize(speed)
    private func utf8SequenceEnd(from j: Int) throws -> Int {
        let c = base[j]
        let n: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: n = 2
        case 0xE0: n = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: n = 3
        case 0xED: n = 3; hi = 0x9F
        case 0xF0: n = 4; lo = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; hi = 0x8F
        default:
            throw JSONError(
                "invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true)); the line must be UTF-8", at: j)
        }
        guard j + n <= count else { throw JSONError("truncated UTF-8 sequence; the line must be UTF-8", at: j) }
        let c1 = base[j + 1]
        guard c1 >= lo && c1 <= hi else { throw JSONError("invalid UTF-8 sequence; the line must be UTF-8", at: j) }
        for k in 2..<n where base[j + k] & 0xC0 != 0x80 {
            throw JSONError("invalid UTF-8 sequence; the line must be UTF-8", at: j)
        }
        return j + n
    }

    /// The text of the string value whose quoted text occupies `range` (quotes included), or nil
    /// when `range` does not hold a string, so that a number or an object is never read as one.
    package func decodeString(_ range: Range<Int>) -> String? {
        guard range.lowerBound >= 0, range.upperBound <= count, range.count >= 2,
            base[range.lowerBound] == UInt8(ascii: "\""), base[range.upperBound - 1] == UInt8(ascii: "\"")
        else { return nil }
        return unescaped(range)
    }

    /// The member's value as a string; nil when it is another kind.
    public func string(_ m: JSONMember) -> String? { decodeString(m.value) }

    /// The member's value as an integer (no fraction or exponent) that fits in 64 bits; nil otherwise.
    public func int64(_ m: JSONMember) -> Int64? { JSONNumbers.int64(self, m.value) }

    /// The member's value as a boolean; nil when it is another kind.
    public func bool(_ m: JSONMember) -> Bool? {
        guard kind(at: m.valueStart) == .bool else { return nil }
        return base[m.valueStart] == UInt8(ascii: "t")
    }

    /// The member's key, unescaped.
    public func keyText(_ m: JSONMember) -> String { unescaped(m.keyStart - 1..<m.keyEnd + 1) }

    /// Decodes a scanned (so validated) string; `range` includes the quotes.
    private func unescaped(_ range: Range<Int>) -> String {
        let inner = UnsafeBufferPointer(start: base + range.lowerBound + 1, count: range.count - 2)
        if inner.isEmpty || memchr(inner.baseAddress!, Int32(UInt8(ascii: "\\")), inner.count) == nil {
            return String(decoding: inner, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var j = 0
        while j < inner.count {
            let c = inner[j]
            guard c == UInt8(ascii: "\\") else { out.append(c); j += 1; continue }
            let e = inner[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(inner, j)
                j += 4
                if (0xD800..<0xDC00).contains(scalar), j + 6 <= inner.count, inner[j] == UInt8(ascii: "\\"),
                    inner[j + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(inner, j + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        j += 6
                    }
                }
                // A lone surrogate cannot be represented in a Swift string: it becomes U+FFFD.
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(u).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func hex4(_ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | UInt32(hexValue(b[j + k]) ?? 0) }
        return v
    }

    @inline(__always)
    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The kind of value at `i`, by its first byte.
    public func kind(at i: Int) -> JSONKind {
        guard i < count else { return .invalid }
        switch base[i] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return .invalid
        }
    }

    /// The raw text of a range, for messages and numbers. Traps on a range outside the line.
    package func text(_ range: Range<Int>) -> String {
        String(decoding: bytes(range), as: UTF8.self)
    }

    /// The line's bytes in `range`, without copying. Ranges come from the scanner itself (members,
    /// values); one outside the line traps rather than reading past it. Package-only, like
    /// ``decodeString(_:)``: code outside lt reads values through the typed accessors.
    package func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) is outside the line")
        return UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}

/// JSON value kinds, told apart by a value's first byte.
public enum JSONKind: String, Sendable {
    case object, array, string, number, bool, null, invalid
}
