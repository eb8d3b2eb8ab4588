import Foundation
import Testing

@testable import Shared

@Suite struct JSONScannerTests {
    func scan<T>(_ text: String, _ body: (JSONScanner) throws -> T) rethrows -> T {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try body(JSONScanner(UnsafeBufferPointer($0))) }
    }

    @Test(arguments: [
        #"{}"#, #"{"a":1}"#, #" { "a" : [1, 2.5e-3, -0, true, false, null, {"b": "c\n\u00e9\ud83d\ude00"}] } "#,
        #"{"big": 123456789012345678901234567890, "x": 1.0e2, "y": "\/"}"#, #"{"a":{"a":{"a":[[[]]]}}}"#,
        "{\"é\": \"ü\"}",
    ])
    func acceptsValidJSON(_ text: String) throws {
        let range = try scan(text) { try $0.document() }
        #expect(
            range.count == text.utf8.count - (text.utf8.count - text.trimmingCharacters(in: .whitespaces).utf8.count))
        // Foundation agrees that it is valid.
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil)
    }

    @Test(arguments: [
        "", "not json", #"{"a":}"#, #"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #"{'a':1}"#, #"{"a":01}"#, #"{"a":1.}"#,
        #"{"a":-}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{1}\"}", #"{"a":tru}"#, #"{"a":1} x"#, #"{"a":"\u12"}"#, "{\"a\":1",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try scan(text) { try $0.document() } }
    }

    @Test func rejectsInvalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80]] {
            var bytes = Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8)
            let threw = bytes.withUnsafeMutableBufferPointer { b in
                (try? JSONScanner(UnsafeBufferPointer(b)).document()) == nil
            }
            #expect(threw, "accepted \(bad)")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError.self) { try scan(deep) { try $0.document() } }
    }

    @Test func membersGiveExactByteRanges() throws {
        let text = #"{"id": "x\"y", "n" : 12 ,"o":{"p":[1]}}"#
        try scan(text) { s in
            let members = try s.members(ofObjectAt: 0)
            #expect(members.count == 3)
            #expect(s.decodeString(members[0].value) == "x\"y")
            #expect(s.text(members[1].value) == "12")
            #expect(s.text(members[2].whole) == #""o":{"p":[1]}"#)
            #expect(s.key(of: members[1], equals: "n"))
        }
    }

    @Test func decodesEscapes() throws {
        try scan(#"{"k": "a\u00e9\ud83d\ude00\t\\"}"#) { s in
            let m = try #require(try s.member("k", ofObjectAt: 0))
            #expect(s.decodeString(m.value) == "aé😀\t\\")
        }
    }

    @Test func bufferEscapesEverythingItWrites() throws {
        var b = JSONBuffer()
        b.beginObject()
        b.key("s"); b.string("q\"\\\n\u{1}é")
        b.key("n"); b.int(-5)
        b.key("a"); b.beginArray(); b.bool(true); b.null(); b.endArray()
        b.endObject()
        let obj = try JSONSerialization.jsonObject(with: Data(b.bytes)) as! [String: Any]
        #expect(obj["s"] as? String == "q\"\\\n\u{1}é")
        #expect(obj["n"] as? Int == -5)
        #expect((obj["a"] as? [Any])?.count == 2)
    }

    /// Escapes, multi-byte characters and control characters at every offset in a long string.
    @Test func longStringsWithSpecialBytesAtEveryOffset() throws {
        for offset in 0..<20 {
            let plain = String(repeating: "x", count: offset)
            for special in [#"\n"#, "é", #"\""#, "\u{1F600}"] {
                let text = #"{"k":""# + plain + special + plain + #""}"#
                #expect(try scan(text) { try $0.document() }.count == text.utf8.count)
            }
            let control = #"{"k":""# + plain + "\u{1}" + plain + #""}"#
            #expect(throws: JSONError.self) { try scan(control) { try $0.document() } }
        }
    }
}

/// Typed accessors answer nil for a value of another kind, instead of reading it as theirs.
@Suite struct JSONTypedAccessorTests {
    /// A range that is not the line's traps instead of reading past the buffer (issue 27).
    @Test func aRangeOutsideTheLineTrapsInsteadOfReadingPastIt() async {
        await #expect(processExitsWith: .failure) {
            let line = Array(#"{"a":1}"#.utf8)
            line.withUnsafeBufferPointer { b in _ = JSONScanner(b).bytes(2..<4096) }
        }
        let line = Array(#"{"a":"b"}"#.utf8)
        line.withUnsafeBufferPointer { b in
            let s = JSONScanner(b)
            #expect(s.decodeString(5..<8) == "b")
            #expect(s.decodeString(5..<400) == nil)
            #expect(s.decodeString(-1..<3) == nil)
            #expect(s.decodeString(4..<5) == nil)
        }
    }

    func members(_ text: String, _ body: (JSONScanner, [JSONMember]) throws -> Void) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { b in
            let s = JSONScanner(UnsafeBufferPointer(b))
            try body(s, try s.members(ofObjectAt: try s.document().lowerBound))
        }
    }

    @Test func eachAccessorReadsOnlyItsKind() throws {
        try members(#"{"s":"a\"b","n":7,"f":1.5,"t":true,"o":{"x":1},"a":[1],"z":null,"e":"","one":1}"#) { s, m in
            let byName = Dictionary(uniqueKeysWithValues: m.map { (s.keyText($0), $0) })
            #expect(s.string(byName["s"]!) == "a\"b")
            #expect(s.string(byName["e"]!) == "")
            for name in ["n", "f", "t", "o", "a", "z", "one"] { #expect(s.string(byName[name]!) == nil, "\(name)") }
            #expect(s.int64(byName["n"]!) == 7)
            for name in ["s", "f", "t", "o", "a", "z"] { #expect(s.int64(byName[name]!) == nil, "\(name)") }
            #expect(s.bool(byName["t"]!) == true)
            for name in ["s", "n", "z"] { #expect(s.bool(byName[name]!) == nil, "\(name)") }
        }
    }

    @Test func decodeStringRefusesRangesThatAreNotStrings() throws {
        try members(#"{"k":5,"j":"x"}"#) { s, m in
            // A one-byte number: reading it as a string used to take a negative length.
            #expect(s.decodeString(m[0].value) == nil)
            #expect(s.decodeString(m[1].value) == "x")
            #expect(s.decodeString(0..<1) == nil)
            #expect(s.decodeString(-1..<3) == nil)
            #expect(s.decodeString(0..<(s.count + 5)) == nil)
        }
    }

    @Test func duplicateMembersAreFoundUnderAnyEscaping() throws {
        try members(#"{"user":1,"u\u0073er":2,"x":3}"#) { s, m in
            #expect(DuplicateMembers.first(in: m, of: s) == "user")
            #expect(DuplicateMembers.first(named: ["x", "user"], in: m, of: s) == "user")
            #expect(DuplicateMembers.count("x", in: m, of: s) == 1)
            let users = try s.count(of: "user", inObjectAt: 0)
            let first = try s.member("user", ofObjectAt: 0)
            #expect(users == 2)
            #expect(first?.valueStart == m[0].valueStart)
        }
    }

    /// After validateDocument, parts are scanned without re-checking escapes and UTF-8; they must
    /// end where the validating scan ends them, escaped quotes and backslashes included.
    @Test func aValidatedDocumentIsScannedAlike() throws {
        let text = #"{"a\\":"x\\","b\"c":"\u0022}\\\"","é":["ü",{"k\u0065y":"v"}],"n":-1.5e3,"t":true}"#
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { b in
            let plain = JSONScanner(UnsafeBufferPointer(b))
            var fast = plain
            #expect(try fast.validateDocument() == (try plain.document()))
            #expect(fast.isValidated && !plain.isValidated)
            let slow = try plain.members(ofObjectAt: 0)
            let quick = try fast.members(ofObjectAt: 0)
            #expect(slow.map(\.whole) == quick.map(\.whole))
            #expect(slow.map(\.keyHasEscapes) == quick.map(\.keyHasEscapes))
            #expect(quick.map { fast.keyText($0) } == ["a\\", "b\"c", "é", "n", "t"])
            #expect(fast.string(quick[1]) == "\"}\\\"")
        }
    }

    /// One pass that also reads the members of one nested object gives what two scans give; the
    /// last member of that name counts, and only when its value is an object.
    @Test(arguments: [
        #"{"id":1,"payload":{"a":{"b":[1,"}"]},"c":"x"},"z":null}"#,
        #"{"payload":{},"id":"x"}"#,
        #"{"payload":{"a":1},"payload":{"b":2}}"#,
        #"{"payload":{"a":1},"payload":[1]}"#,
        #"{"id":{"payload":{"a":1}}}"#,
    ])
    func membersWithTheMembersOfOneNestedObject(_ text: String) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { b in
            for validated in [false, true] {
                var s = JSONScanner(UnsafeBufferPointer(b))
                let doc = validated ? try s.validateDocument() : try s.document()
                let (top, inner) = try s.members(ofObjectAt: doc.lowerBound, withMembersOf: "payload")
                #expect(top.map(\.whole) == (try s.members(ofObjectAt: doc.lowerBound)).map(\.whole))
                let last = top.last { s.key(of: $0, equals: "payload") && s.kind(at: $0.valueStart) == .object }
                #expect(
                    inner?.map(\.whole) == (try last.map { try s.members(ofObjectAt: $0.valueStart) })?.map(\.whole))
            }
        }
    }

    /// Small objects compare keys pair by pair, large ones hash them: both find the same repeat.
    @Test(arguments: [3, 10, 14, 40])
    func duplicateMembersAreFoundInObjectsOfAnySize(_ size: Int) throws {
        let keys = (0..<size).map { "k\($0)" } + ["a", "ab", ""]
        let unique = "{" + keys.map { "\"\($0)\":0" }.joined(separator: ",") + "}"
        try members(unique) { s, m in
            #expect(DuplicateMembers.first(in: m, of: s) == nil)
            #expect(DuplicateMembers.first(named: ["a", "ab"], in: m, of: s) == nil)
        }
        let repeated = String(unique.dropLast()) + #","\u0061b":1,"":2,"k1":3}"#
        try members(repeated) { s, m in
            #expect(DuplicateMembers.first(in: m, of: s) == "ab")
            #expect(DuplicateMembers.first(named: ["k0", "k1", ""], in: m, of: s) == "k1")
        }
    }
}
