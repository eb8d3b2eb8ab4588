import LTCore
import Testing

@testable import Shared

/// The single-pass field scanner against the project's general scanner: the same lines accepted,
/// the same members found, over hand shapes and over every cut and many one-byte changes of them.
@Suite struct TrackingFieldScannerTests {
    typealias F = RollupFixture

    /// What the fast scanner says, and what the general path says, for one event text.
    func both(_ text: String) -> (fast: TrackingFieldScanner.Outcome, fields: TrackingFields, general: TrackingFields?)
    {
        var text = text
        return text.withUTF8 { b in
            var f = TrackingFields()
            let outcome = TrackingFieldScanner.scan(b, into: &f)
            return (outcome, f, TrackingLineParser.generalFields(JSONScanner(b)))
        }
    }

    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> TrackingFieldScanner.Outcome {
        var f = TrackingFields()
        return TrackingFieldScanner.scan(b, into: &f)
    }

    func bothAgree(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            let general = TrackingLineParser.generalFields(JSONScanner(b))
            var f = TrackingFields()
            switch TrackingFieldScanner.scan(b, into: &f) {
            case .fields: return f == general
            case .notJSON: return general == nil
            case .unsure: return true
            }
        }
    }

    static let shapes: [String] = [
        F.server(time: "2026-01-10T10:00:00.123456+00:00"),
        String(F.tutorBrowser(time: "2026-01-10T10:00:00Z").drop { $0 != "{" }),
        F.server(user: "\"\"", time: "2026-01-10T10:00:00Z", event: #"{"user_id": "6", "user_id": "7"}"#),
        // Nested objects and arrays inside context and event, unicode and escapes in values.
        #"{"time": "2026-01-10T10:00:00Z", "context": {"module": {"user_id": 1, "a": [1, {"course_id": "x"}]}, "#
            + #""user_id": -0.5e+3, "course_id": "c\u00e9\n\"\\/", "path": "/p\u00e9 – ü 😀"}, "event": [{"user_id": 1}], "#
            + #""x": [true, false, null, [], {}, -0, 1.25E-2], "page": null}"#,
        // Repeated members: the last context wins whole, the first user_id of the last event.
        #"{"context": {"user_id": 1, "course_id": "a"}, "time": "t", "context": {"course_id": "b"}, "#
            + #""event": {"user_id": 2}, "event": {"user_id": 3, "user_id": 4}, "time": "2026-01-10T10:00:00Z"}"#,
        #"{"context": {"user_id": 1}, "context": "no longer an object", "event": "{\"user_id\": 5}"}"#,
        #"{"time": {"nested": ["2026"]}, "name": ["x"], "event_type": 7, "event_source": {}}"#,
        "{ } ",
        "{}",
        #"{"a":1}  "#,
    ]

    @Test(arguments: shapes)
    func findsWhatTheGeneralScannerFinds(_ text: String) {
        let r = both(text)
        guard case .fields = r.fast else {
            Issue.record("the fast scanner did not read \(text)")
            return
        }
        #expect(r.fields == r.general)
    }

    @Test func theMembersOfRepeatedContextAndEvent() {
        let r = both(Self.shapes[4])
        let f = r.fields
        guard case .fields = r.fast else {
            Issue.record("not read")
            return
        }
        let text = Array(Self.shapes[4].utf8)
        func s(_ r: Range<Int>?) -> String? { r.map { String(decoding: text[$0], as: UTF8.self) } }
        #expect(s(f.contextUser) == nil)
        #expect(s(f.contextCourse) == #""b""#)
        #expect(s(f.eventUser) == "3")
        #expect(s(f.time) == #""2026-01-10T10:00:00Z""#)
        let r5 = both(Self.shapes[5])
        let g = r5.fields
        guard case .fields = r5.fast else {
            Issue.record("not read")
            return
        }
        #expect(g.contextUser == nil && g.eventUser == nil)
    }

    @Test func malformedTextIsNotJSON() {
        let bad = [
            #"{"time": "2026-01-10T10:00:00Z", "context": {"user_id": 6"#, #"{"a": 1,}"#, #"{"a": [1,]}"#,
            #"{"a": 01}"#, #"{"a": 1.}"#, #"{"a": tru}"#, #"{"a": "\x"}"#, #"{"a": "\u12g4"}"#, "{\"a\": \"\u{1}\"}",
            #"{"a": 1} x"#, #"{"a" 1}"#, #"{a: 1}"#, #"{"a": 1]"#, #"{"a": [1}"#, #"{"a": "cut"#, "{",
        ]
        for text in bad {
            let r = both(text)
            guard case .notJSON = r.fast else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(r.general == nil, "\(text)")
        }
        // Invalid UTF-8 in a string: a lone continuation byte, an overlong form, a surrogate, a cut sequence.
        for seq: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFF]] {
            let bytes = Array(#"{"time": "2026-01-10T10:00:0"#.utf8) + seq + Array(#"0Z", "a": 1}"#.utf8)
            #expect(bytes.withUnsafeBufferPointer { Self.scan($0).isNotJSON })
            #expect(bothAgree(bytes))
        }
    }

    @Test func escapedKeysAndDeepNestingGoTheGeneralWay() {
        #expect(both(#"{"\u0074ime": "2026-01-10T10:00:00Z"}"#).fast.isUnsure)
        #expect(both(#"{"context": {"user\u005fid": 6}}"#).fast.isUnsure)
        // An escaped key that does not matter (inside another member) stays on the fast path.
        #expect(!both(#"{"x": {"\u0074ime": 1}, "context": {"a": {"user\u005fid": 6}}}"#).fast.isUnsure)
        let deep = #"{"a": "# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"
        #expect(both(deep).fast.isUnsure)
        #expect(both(deep).general != nil)
    }

    /// Every cut of each shape, and each byte replaced by bytes that matter to JSON: both scanners
    /// accept the same texts and find the same members.
    @Test func agreesOnEveryCutAndOneByteChange() {
        let replacements: [UInt8] = [
            0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x01, 0x20, 0x30, 0x65, 0x2D, 0xC3, 0xFF,
        ]
        var disagreements: [String] = []
        for shape in Self.shapes {
            let bytes = Array(shape.utf8)
            for cut in 0..<bytes.count where !bothAgree(Array(bytes[..<cut])) {
                disagreements.append("cut at \(cut): \(shape)")
            }
            for at in bytes.indices {
                for r in replacements where bytes[at] != r {
                    var changed = bytes
                    changed[at] = r
                    if !bothAgree(changed) { disagreements.append("\(r) at \(at): \(shape)") }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test func theParserGivesTheSameEventEitherWay() {
        var parser = TrackingLineParser(rule: RollupRule())
        func parse(_ s: String) -> ParsedLine {
            var s = s
            return s.withUTF8 { parser.parse($0) }
        }
        let plain = parse(
            #"{"time": "2026-01-10T10:00:00Z", "context": {"user_id": "6", "course_id": "course-v1:a+b+c"}}"#)
        let escapedKey = parse(
            #"{"\u0074ime": "2026-01-10T10:00:00Z", "context": {"user_id": "6", "course\u005fid": "course-v1:a+b+c"}}"#)
        let escapedValue = parse(
            #"{"time": "2026-01-10T10:00:00Z", "context": {"user_id": "\u0036", "course_id": "course-v1:a\u002bb+c"}}"#)
        #expect(plain == .event(user: 6, course: 0, time: 1_768_039_200_000_000))
        #expect(escapedKey == plain)
        #expect(escapedValue == plain)
        // A string-encoded event is not an object: its user_id is not the event's user.
        #expect(
            parse(#"{"time": "2026-01-10T10:00:00Z", "context": {"course_id": "c"}, "event": "{\"user_id\": 6}"}"#)
                == .skipped(.noUser))
    }
}

extension TrackingFieldScanner.Outcome {
    var isNotJSON: Bool { if case .notJSON = self { true } else { false } }
    var isUnsure: Bool { if case .unsure = self { true } else { false } }
}
