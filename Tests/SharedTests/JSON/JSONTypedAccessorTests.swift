import Foundation
import Testing

@testable import Shared

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
