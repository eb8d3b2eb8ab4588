#if canImport(Glibc)
import Glibc
#endif

/// What one tracking-log line gives: an event to count, or why it gives none.
public enum ParsedLine: Equatable {
    case event(user: Int64, course: UInt32, time: Int64)
    case skipped(SkipReason)
}

/// Reads the fields the rule needs from one tracking-log line, classic (`{…}`) or with a logging
/// prefix (Tutor's `2023-05-23 14:12:17,308 INFO 7 [tracking] … - {…}`): the event is the text from
/// the first `{`, validated as one JSON object by the project's scanner, and only `time`, `name`,
/// `event_type`, `event_source`, `context.user_id`, `context.course_id` and, when needed,
/// `event.user_id` and the URL members are decoded.
public struct TrackingLineParser {
    public let rule: RollupRule
    /// The course keys met so far; an event names its course by id.
    public var courses = CourseKeys()
    private var dayCache = EventTime.DayCache()

    public init(rule: RollupRule) {
        self.rule = rule
    }

    @_optimize(speed)
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        guard let base = line.baseAddress else { return .skipped(.blank) }
        var first = 0
        while first < line.count, line[first] == 0x20 || line[first] == 0x09 { first += 1 }
        if first == line.count || line[first] == UInt8(ascii: "#") { return .skipped(.blank) }
        let start: Int
        if line[first] == UInt8(ascii: "{") {
            start = first
        } else {
            guard let brace = memchr(base + first, Int32(UInt8(ascii: "{")), line.count - first) else {
                return .skipped(.notJSON)
            }
            start = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(brace))
        }
        let text = UnsafeBufferPointer(start: base + start, count: line.count - start)
        var fields = TrackingFields()
        switch TrackingFieldScanner.scan(text, into: &fields) {
        case .fields: break
        case .notJSON: return .skipped(.notJSON)
        case .unsure:
            guard let f = Self.generalFields(JSONScanner(text)) else { return .skipped(.notJSON) }
            fields = f
        }
        return apply(JSONScanner(text), fields)
    }

    /// The rule applied to the members found.
    @_optimize(speed)
    private mutating func apply(_ s: JSONScanner, _ fields: TrackingFields) -> ParsedLine {
        guard let time = fields.time else { return .skipped(.noTime) }
        guard let micros = Self.withString(s, time, { EventTime.parse($0, cache: &dayCache) }) ?? nil else {
            return .skipped(.badTime)
        }

        if let source = fields.source,
            Self.withString(s, source, { $0.count == 4 && memcmp($0.baseAddress!, "task", 4) == 0 }) == true
        {
            return .skipped(.notLearnerActivity)
        }
        let nameMember =
            fields.name.flatMap { Self.withString(s, $0, { $0.count }) ?? 0 > 0 ? $0 : nil } ?? fields.eventType
        if let nameMember {
            let excluded = Self.withString(s, nameMember) { n in
                RollupRule.hasExcludedPrefix(n) || rule.isExcludedByPattern(n)
            }
            if excluded == true { return .skipped(.notLearnerActivity) }
        }

        var user = fields.contextUser.flatMap { Self.userID(s, $0) }
        if user == nil, let m = fields.eventUser {
            user = Self.userID(s, m)
        }
        guard let user else { return .skipped(.noUser) }

        var course: UInt32?
        var tooLong = false
        if let contextCourse = fields.contextCourse {
            course =
                Self.withString(s, contextCourse) { k -> UInt32? in
                    if k.count > 255 { tooLong = true }
                    return k.isEmpty || k.count > 255 ? nil : courses.id(of: k)
                } ?? nil
        }
        if course == nil && !tooLong && rule.courseFromURL {
            for m in [fields.contextPath, fields.page, fields.eventType] {
                guard let m, course == nil else { continue }
                course =
                    Self.withString(s, m) { url -> UInt32? in
                        guard let r = Self.courseKey(inURL: url) else { return nil }
                        let k = UnsafeBufferPointer(rebasing: url[r])
                        if k.count > 255 { tooLong = true; return nil }
                        return courses.id(of: k)
                    } ?? nil
            }
        }
        guard let course else { return .skipped(tooLong ? .courseKeyTooLong : .noCourse) }
        return .event(user: user, course: course, time: micros)
    }

    /// The members the rule reads, found with the project's general scanner: one validating pass
    /// over the whole object, then `context`, then `event`. Nil when the text is not one JSON
    /// object. The path for what ``TrackingFieldScanner`` leaves to it (escaped keys, deep nesting);
    /// the tests hold the two to the same answers.
    static func generalFields(_ s: JSONScanner) -> TrackingFields? {
        var time: JSONMember?
        var name: JSONMember?
        var eventType: JSONMember?
        var source: JSONMember?
        var event: JSONMember?
        var page: JSONMember?
        var context: JSONMember?
        // The last of repeated members wins, as in most JSON readers (Python's json among them).
        do {
            let end = try s.forEachMember(ofObjectAt: 0) { m in
                // Keys are compared as bytes; one with escapes (`"\u0074ime"`) by its decoded text.
                switch m.keyHasEscapes ? s.keyText(m).utf8.first ?? 0 : s[m.keyStart] {
                case UInt8(ascii: "t") where s.key(of: m, equals: "time"): time = m
                case UInt8(ascii: "n") where s.key(of: m, equals: "name"): name = m
                case UInt8(ascii: "e") where s.key(of: m, equals: "event_type"): eventType = m
                case UInt8(ascii: "e") where s.key(of: m, equals: "event_source"): source = m
                case UInt8(ascii: "e") where s.key(of: m, equals: "event"): event = m
                case UInt8(ascii: "p") where s.key(of: m, equals: "page"): page = m
                case UInt8(ascii: "c") where s.key(of: m, equals: "context"): context = m
                default: break
                }
            }
            guard s.skipWhitespace(end) == s.count else { return nil }
        } catch {
            return nil
        }
        var f = TrackingFields(
            time: time?.value, name: name?.value, eventType: eventType?.value, source: source?.value,
            page: page?.value)
        if let c = context, s.kind(at: c.valueStart) == .object {
            _ = try? s.forEachMember(ofObjectAt: c.valueStart) { m in
                if s.key(of: m, equals: "user_id") {
                    f.contextUser = m.value
                } else if s.key(of: m, equals: "course_id") {
                    f.contextCourse = m.value
                } else if s.key(of: m, equals: "path") {
                    f.contextPath = m.value
                }
            }
        }
        if let event, s.kind(at: event.valueStart) == .object,
            let m = try? s.member("user_id", ofObjectAt: event.valueStart)
        {
            f.eventUser = m.value
        }
        return f
    }

    /// Calls `body` with a string member's bytes (unescaped); nil when the member is not a string.
    @inline(__always)
    static func withString<R>(_ s: JSONScanner, _ v: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard v.count >= 2, s[v.lowerBound] == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeBufferPointer(start: s.base + v.lowerBound + 1, count: v.count - 2)
        if inner.isEmpty || memchr(inner.baseAddress!, Int32(UInt8(ascii: "\\")), inner.count) == nil {
            return body(inner)
        }
        var text = s.decodeString(v) ?? ""
        return text.withUTF8 { body($0) }
    }

    /// A user id: a JSON integer, or a string of ASCII digits; nil for anything else.
    static func userID(_ s: JSONScanner, _ v: Range<Int>) -> Int64? {
        switch s.kind(at: v.lowerBound) {
        case .number: return JSONNumbers.int64(s, v)
        case .string:
            return withString(s, v) { d -> Int64? in
                guard !d.isEmpty, d.allSatisfy({ $0 &- 0x30 < 10 }) else { return nil }
                return JSONNumbers.parseDigits(d)
            } ?? nil
        default: return nil
        }
    }

    /// Where a course key is in a URL or path: `course-v1:…` up to the next `/`, `?`, `#` or space,
    /// else the three segments after `/courses/` of an old key (`/courses/edX/DemoX/Demo_Course/…`).
    static func courseKey(inURL u: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        func isEnd(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") || c <= 0x20
        }
        func find(_ needle: StaticString, from: Int = 0) -> Int? {
            let n = needle.utf8CodeUnitCount
            guard u.count >= n else { return nil }
            var i = from
            while i + n <= u.count {
                if memcmp(u.baseAddress! + i, needle.utf8Start, n) == 0 { return i }
                i += 1
            }
            return nil
        }
        if let i = find("course-v1:") {
            var e = i + 10
            while e < u.count, !isEnd(u[e]) { e += 1 }
            return e > i + 10 ? i..<e : nil
        }
        guard let c = find("/courses/") else { return nil }
        let start = c + 9
        var e = start
        for segment in 0..<3 {
            let s = e
            while e < u.count, !isEnd(u[e]) { e += 1 }
            guard e > s else { return nil }
            if segment < 2 {
                guard e < u.count, u[e] == UInt8(ascii: "/") else { return nil }
                e += 1
            }
        }
        return start..<e
    }
}
