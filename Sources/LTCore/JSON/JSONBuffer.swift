/// Builds JSON text into a reusable byte buffer, escaping every string it is given.
///
/// Commas are placed automatically inside objects and arrays. `raw` appends bytes that are
/// already valid JSON (a spliced payload), which is how untouched input travels on unchanged.
public struct JSONBuffer {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        needsComma.removeAll(keepingCapacity: true)
        afterKey = false
    }

    private var afterKey = false

    /// Called before any value or key: writes the comma that separates it from the previous one.
    private mutating func beforeValue() {
        if afterKey { afterKey = false; return }
        if let last = needsComma.last {
            if last { bytes.append(UInt8(ascii: ",")) } else { needsComma[needsComma.count - 1] = true }
        }
    }

    public mutating func beginObject() { beforeValue(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { beforeValue(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes a member name; the next value call writes its value.
    public mutating func key(_ name: StaticString) {
        beforeValue()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func key(_ name: String) {
        beforeValue()
        JSONBuffer.appendEscaped(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ s: String) { beforeValue(); JSONBuffer.appendEscaped(s, to: &bytes) }
    public mutating func int(_ v: Int64) { beforeValue(); bytes.append(contentsOf: String(v).utf8) }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { beforeValue(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { beforeValue(); bytes.append(contentsOf: "null".utf8) }

    /// A finite double in the shortest form that reads back to the same value (non-finite: null).
    public mutating func double(_ v: Double) {
        guard v.isFinite else { null(); return }
        beforeValue()
        bytes.append(contentsOf: v.description.utf8)
    }

    /// Appends bytes that are already one valid JSON value.
    public mutating func raw(_ json: UnsafeBufferPointer<UInt8>) { beforeValue(); bytes.append(contentsOf: json) }
    public mutating func raw(_ json: [UInt8]) { beforeValue(); bytes.append(contentsOf: json) }

    /// Appends a whole `"key": value` member copied from input.
    public mutating func rawMember(_ member: UnsafeBufferPointer<UInt8>) {
        beforeValue(); bytes.append(contentsOf: member)
    }

    public mutating func stringOrNull(_ s: String?) { if let s { string(s) } else { null() } }

    public mutating func member(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
    public mutating func member(_ name: StaticString, _ value: Int64?) { if let value { key(name); int(value) } }
    public mutating func member(_ name: StaticString, _ value: Int?) { if let value { key(name); int(value) } }

    /// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// and also the C1 controls (U+0080 to U+009F, such as CSI and OSC) and the Unicode line and
    /// paragraph separators, which JSON allows raw but a terminal or a log viewer acts on: lt's
    /// output is often read on a terminal, and partners' text ends up in it.
    public static func appendEscaped(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var i = 0
            while i < u.count {
                let c = u[i]
                switch c {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0..<0x20, 0x7F: appendUnicodeEscape(UInt16(c), to: &out)
                case 0xC2 where i + 1 < u.count && (0x80...0x9F).contains(u[i + 1]):
                    appendUnicodeEscape(UInt16(u[i + 1]), to: &out)
                    i += 1
                case 0xE2 where i + 2 < u.count && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9):
                    appendUnicodeEscape(0x2000 | UInt16(u[i + 2] - 0x80), to: &out)
                    i += 2
                default: out.append(c)
                }
                i += 1
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ v: UInt16, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [
            0x5C, UInt8(ascii: "u"), hex[Int(v >> 12)], hex[Int(v >> 8 & 15)], hex[Int(v >> 4 & 15)], hex[Int(v & 15)],
        ])
    }
}
