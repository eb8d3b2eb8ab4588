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
