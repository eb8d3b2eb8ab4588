// Over 300 lines on purpose: one validating pass whose states share the pointer, the depth and the
// fields being collected; split, the hot loop would lose its inlining.
#if canImport(Glibc)
import Glibc
#endif

/// Where the members the rule reads are in one tracking event: byte ranges of their values
/// (quotes included) in the text from the line's first `{`. Whatever the value's type; the rule
/// looks at it (a `time` that is a number is an unreadable time, not a missing one).
struct TrackingFields: Equatable {
    var time: Range<Int>?
    var name: Range<Int>?
    var eventType: Range<Int>?
    var source: Range<Int>?
    var page: Range<Int>?
    /// Members of the last top-level `context`, when that is an object (its last member of each name).
    var contextUser: Range<Int>?
    var contextCourse: Range<Int>?
    var contextPath: Range<Int>?
    /// The first `user_id` of the last top-level `event`, when that is an object.
    var eventUser: Range<Int>?

    /// Records the value of a member the scanner met.
    @inline(__always)
    fileprivate mutating func store(_ slot: TrackingFieldScanner.Slot, _ r: Range<Int>) {
        switch slot {
        case .time: time = r
        case .name: name = r
        case .eventType: eventType = r
        case .source: source = r
        case .page: page = r
        case .contextUser: contextUser = r
        case .contextCourse: contextCourse = r
        case .contextPath: contextPath = r
        case .eventUser: if eventUser == nil { eventUser = r }
        case .none, .context, .event: break
        }
    }
}

/// Validates one tracking event as a JSON object and finds ``TrackingFields`` in the same single
/// pass: what ``TrackingLineParser`` did with the project's ``JSONScanner`` in three passes (the
/// whole object, then `context`, then `event`), at a fraction of the cost. Strings are checked
/// eight bytes at a time: a word with no quote, backslash, control byte or non-ASCII byte is
/// skipped whole (SWAR), and only the rest goes byte by byte.
///
/// It accepts exactly what `JSONScanner` accepts (RFC 8259, UTF-8 checked inside strings; the
/// tests compare the two over mutated lines). Two rare shapes it does not handle itself and answers
/// ``Outcome/unsure`` so that the caller takes the general scanner's path: a key that matters (at
/// the top level, or inside `context` or `event`) written with escapes, and nesting deeper than
/// 64 levels.
enum TrackingFieldScanner {
    enum Outcome {
        /// The text is one JSON object; the fields are filled in.
        case fields
        case notJSON
        case unsure
    }

    /// What a member's value is, for the collector: which field it fills.
    fileprivate enum Slot: UInt8 {
        case none, time, name, eventType, source, page, context, event, contextUser, contextCourse, contextPath,
            eventUser
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `w` that is `"`, `\`, below 0x20 or above 0x7F. Bytes above the
    /// lowest such byte may be flagged falsely (borrows), so only the lowest flag is exact.
    @inline(__always)
    private static func specialBytes(_ w: UInt64) -> UInt64 {
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let quote = (q &- ones) & ~q
        let backslash = (b &- ones) & ~b
        let control = (w &- ones &* 0x20) & ~w
        return (quote | backslash | control | w) & highs
    }

    /// Scans `text`, which starts with `{`, filling `f` (given empty). Not returned in the outcome:
    /// copying the fields out was a visible share of the run.
    @_optimize(speed)
    static func scan(_ text: UnsafeBufferPointer<UInt8>, into f: inout TrackingFields) -> Outcome {
        guard let p = text.baseAddress, text.count > 0, p[0] == UInt8(ascii: "{") else { return .notJSON }
        let n = text.count
        let raw = UnsafeRawPointer(p)

        @inline(__always) func skipWhitespace(_ i: Int) -> Int {
            var i = i
            while i < n {
                let c = p[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
            return i
        }

        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

        @inline(__always) func numberEnd(_ i: Int) -> Int? {
            var j = i
            if p[j] == UInt8(ascii: "-") { j += 1 }
            guard j < n, isDigit(p[j]) else { return nil }
            if p[j] == UInt8(ascii: "0") {
                j += 1
                if j < n && isDigit(p[j]) { return nil }
            } else {
                while j < n && isDigit(p[j]) { j += 1 }
            }
            if j < n && p[j] == UInt8(ascii: ".") {
                j += 1
                guard j < n, isDigit(p[j]) else { return nil }
                while j < n && isDigit(p[j]) { j += 1 }
            }
            if j < n && (p[j] | 0x20) == UInt8(ascii: "e") {
                j += 1
                if j < n && (p[j] == UInt8(ascii: "+") || p[j] == UInt8(ascii: "-")) { j += 1 }
                guard j < n, isDigit(p[j]) else { return nil }
                while j < n && isDigit(p[j]) { j += 1 }
            }
            return j
        }

        @inline(__always) func literalEnd(_ i: Int, _ word: StaticString) -> Int? {
            let k = word.utf8CodeUnitCount
            guard i + k <= n, memcmp(p + i, word.utf8Start, k) == 0 else { return nil }
            return i + k
        }

        @inline(__always) func keyIs(_ s: Int, _ e: Int, _ word: StaticString) -> Bool {
            e - s == word.utf8CodeUnitCount && memcmp(p + s, word.utf8Start, e - s) == 0
        }

        // Open containers: bit d of `objects` is set when the container at depth d + 1 is an object.
        var depth = 1
        var objects: UInt64 = 1
        // The member whose value is being read at depth 1 and at depth 2, and where that value starts.
        var top = Slot.none
        var topStart = 0
        var inner = Slot.none
        var innerStart = 0
        // Which top-level member's value the scan is inside: .context, .event or .none.
        var zone = Slot.none

        var i = skipWhitespace(1)
        // Reading a key (or the end of an empty object) in the object at `depth`.
        var expectKey = true
        if i < n && p[i] == UInt8(ascii: "}") {
            return skipWhitespace(i + 1) == n ? .fields : .notJSON
        }
        while true {
            if expectKey {
                guard i < n, p[i] == UInt8(ascii: "\"") else { return .notJSON }
                var escapes = false
                var keyEnd = Self.shortStringEnd(raw, n, i)
                if keyEnd < 0 {
                    guard let e = Self.stringEnd(p, n, i, &escapes) else { return .notJSON }
                    keyEnd = e
                }
                let ks = i + 1
                let ke = keyEnd - 1
                if depth == 1 {
                    if escapes { return .unsure }
                    top = .none
                    zone = .none
                    switch p[ks] {
                    case UInt8(ascii: "t") where keyIs(ks, ke, "time"): top = .time
                    case UInt8(ascii: "n") where keyIs(ks, ke, "name"): top = .name
                    case UInt8(ascii: "p") where keyIs(ks, ke, "page"): top = .page
                    case UInt8(ascii: "c") where keyIs(ks, ke, "context"):
                        top = .context
                        zone = .context
                        f.contextUser = nil
                        f.contextCourse = nil
                        f.contextPath = nil
                    case UInt8(ascii: "e"):
                        if keyIs(ks, ke, "event") {
                            top = .event
                            zone = .event
                            f.eventUser = nil
                        } else if keyIs(ks, ke, "event_type") {
                            top = .eventType
                        } else if keyIs(ks, ke, "event_source") {
                            top = .source
                        }
                    default: break
                    }
                } else if depth == 2 && zone != .none {
                    if escapes { return .unsure }
                    inner = .none
                    if keyIs(ks, ke, "user_id") {
                        inner = zone == .context ? .contextUser : .eventUser
                    } else if zone == .context {
                        if keyIs(ks, ke, "course_id") {
                            inner = .contextCourse
                        } else if keyIs(ks, ke, "path") {
                            inner = .contextPath
                        }
                    }
                }
                i = skipWhitespace(keyEnd)
                guard i < n, p[i] == UInt8(ascii: ":") else { return .notJSON }
                i = skipWhitespace(i + 1)
                expectKey = false
            }

            // A value starts at i, in the container at `depth`.
            guard i < n else { return .notJSON }
            if depth == 1 {
                topStart = i
                if top == .context || top == .event {
                    // Only an object value has members to collect.
                    if p[i] != UInt8(ascii: "{") { zone = .none }
                }
            } else if depth == 2 {
                innerStart = i
            }
            switch p[i] {
            case UInt8(ascii: "\""):
                let quick = Self.shortStringEnd(raw, n, i)
                if quick >= 0 {
                    i = quick
                } else {
                    var escapes = false
                    guard let e = Self.stringEnd(p, n, i, &escapes) else { return .notJSON }
                    i = e
                }
            case UInt8(ascii: "{"):
                guard depth < 64 else { return .unsure }
                objects |= 1 << UInt64(depth)
                depth += 1
                i = skipWhitespace(i + 1)
                if i < n && p[i] == UInt8(ascii: "}") {
                    depth -= 1
                    i += 1
                    break
                }
                if depth == 2 { inner = .none }
                expectKey = true
                continue
            case UInt8(ascii: "["):
                guard depth < 64 else { return .unsure }
                objects &= ~(1 << UInt64(depth))
                depth += 1
                i = skipWhitespace(i + 1)
                if i < n && p[i] == UInt8(ascii: "]") {
                    depth -= 1
                    i += 1
                    break
                }
                if depth == 2 { inner = .none }
                continue
            case UInt8(ascii: "t"):
                guard let e = literalEnd(i, "true") else { return .notJSON }
                i = e
            case UInt8(ascii: "f"):
                guard let e = literalEnd(i, "false") else { return .notJSON }
                i = e
            case UInt8(ascii: "n"):
                guard let e = literalEnd(i, "null") else { return .notJSON }
                i = e
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let e = numberEnd(i) else { return .notJSON }
                i = e
            default:
                return .notJSON
            }

            // A value ended at i inside the container at `depth`: record it, then close containers
            // or move on to the next member or element.
            while true {
                if depth == 1 {
                    f.store(top, topStart..<i)
                } else if depth == 2 {
                    f.store(inner, innerStart..<i)
                }
                i = skipWhitespace(i)
                guard i < n else { return .notJSON }
                let c = p[i]
                let isObject = objects & (1 << UInt64(depth - 1)) != 0
                if c == UInt8(ascii: ",") {
                    i = skipWhitespace(i + 1)
                    expectKey = isObject
                    break
                }
                guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return .notJSON }
                i += 1
                depth -= 1
                if depth == 0 {
                    return skipWhitespace(i) == n ? .fields : .notJSON
                }
            }
        }
    }

    /// The end of a string of plain ASCII (no escape, no control byte) at `i` whose closing quote is
    /// within 16 bytes, as keys and most values are: checked inline, in one or two words; -1 for
    /// any other string, which ``stringEnd(_:_:_:_:)`` then reads (the call was a seventh of a
    /// rollup: perf, bench/rollup).
    @inline(__always)
    private static func shortStringEnd(_ raw: UnsafeRawPointer, _ n: Int, _ i: Int) -> Int {
        var j = i + 1
        for _ in 0..<2 {
            guard j + 8 <= n else { return -1 }
            let w = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            let s = specialBytes(w)
            if s != 0 {
                // The lowest flagged byte is exact: the string ends there if it is the quote.
                let bit = s.trailingZeroBitCount &- 7
                return (w >> UInt64(bit)) & 0xFF == 0x22 ? j + bit >> 3 + 1 : -1
            }
            j += 8
        }
        return -1
    }

    /// The end of the string whose opening quote is at `i` (after its closing quote), nil when
    /// it is not a valid JSON string; `escapes` tells whether it has any backslash.
    @_optimize(speed)
    @inline(__always)
    private static func stringEnd(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ escapes: inout Bool
    ) -> Int? {
        let raw = UnsafeRawPointer(p)
        var j = i + 1
        while true {
            while j + 8 <= n {
                let s = specialBytes(raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                if s == 0 {
                    j += 8
                    continue
                }
                j += s.trailingZeroBitCount >> 3
                break
            }
            guard j < n else { return nil }
            let c = p[j]
            if c == UInt8(ascii: "\"") { return j + 1 }
            if c == UInt8(ascii: "\\") {
                escapes = true
                guard j + 1 < n else { return nil }
                switch p[j + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    guard j + 6 <= n else { return nil }
                    for k in 2..<6 {
                        let h = p[j + k]
                        guard h &- 0x30 < 10 || (h | 0x20) &- 0x61 < 6 else { return nil }
                    }
                    j += 6
                default:
                    return nil
                }
                continue
            }
            if c < 0x20 { return nil }
            if c < 0x80 {
                j += 1
                continue
            }
            guard let e = utf8SequenceEnd(p, n, j) else { return nil }
            j = e
        }
    }

    /// The end of the multi-byte UTF-8 sequence at `j`, nil when it is not one (overlong forms and
    /// surrogates rejected, as ``JSONScanner`` does).
    @inline(__always)
    private static func utf8SequenceEnd(_ p: UnsafePointer<UInt8>, _ n: Int, _ j: Int) -> Int? {
        let c = p[j]
        let k: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: k = 2
        case 0xE0: k = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: k = 3
        case 0xED: k = 3; hi = 0x9F
        case 0xF0: k = 4; lo = 0x90
        case 0xF1...0xF3: k = 4
        case 0xF4: k = 4; hi = 0x8F
        default: return nil
        }
        guard j + k <= n else { return nil }
        let c1 = p[j + 1]
        guard c1 >= lo && c1 <= hi else { return nil }
        for m in 2..<k where p[j + m] & 0xC0 != 0x80 { return nil }
        return j + k
    }
}
