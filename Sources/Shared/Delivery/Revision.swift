import Crypto

/// A correction of a line delivered before (`lt-send --resend-changed`): its number and the id it
/// revises, the id it is sent under, and how its payload is marked.
///
/// Partners de-duplicate on `webhook-id`, so a correction needs a new id; it is derived from the
/// original and the number (`msg_…-rev1`), so that a re-run derives the same one, and it carries
/// the original in `lt-revision-of` (and, where the payload has a `learning_time` object, in
/// `learning_time.revision_of`), so that a partner can upsert. See docs/contract.md, "Corrections".
public struct Revision: Sendable, Equatable, CustomStringConvertible {
    /// 1 for the first correction, 2 for the next, …
    public let number: Int
    /// The webhook id of the first delivery.
    public let original: String
    /// The journaled total it corrects (nil: delivered without learning time).
    public let previousTotal: Int64?

    public init(number: Int, original: String, previousTotal: Int64?) {
        self.number = number
        self.original = original
        self.previousTotal = previousTotal
    }

    /// The correction's webhook id: the original's with `-rev` and the number, or, when that would
    /// break the id rule's length, `msg_` and 32 hex digits of the SHA-256 of the original, U+001F,
    /// `rev` and the number.
    public var id: String {
        let suffixed = "\(original)-rev\(number)"
        if suffixed.utf8.count <= WebhookID.maxLength { return suffixed }
        let digest = SHA256.hash(data: Array("\(original)\u{1F}rev\(number)".utf8))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = Array("msg_".utf8)
        for b in digest.prefix(16) {
            text.append(hex[Int(b >> 4)])
            text.append(hex[Int(b & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `revision 1 of msg_…, was 18000 s` (or `was none`), for `-v`.
    public var description: String {
        "revision \(number) of \(original), was \(previousTotal.map { "\($0) s" } ?? "none")"
    }

    /// The request headers that mark a correction: `lt-revision` and `lt-revision-of`. The values
    /// are digits and an id that passed the id rule, so they need no escaping.
    public var headers: [HTTPHeader] {
        [
            HTTPHeader("lt-revision", HeaderValue(computed: String(number))),
            HTTPHeader("lt-revision-of", HeaderValue(computed: original)),
        ]
    }

    /// `payload` with `"revision":N,"revision_of":"ID"` added at the end of its top-level
    /// `learning_time` object, when it has exactly one; else `payload` as it is (the headers still
    /// mark it). Every other byte stays as it came.
    public func mark(_ envelope: Envelope) -> [UInt8] {
        let s = envelope.json
        let payload = Array(s.bytes(envelope.payload!))
        let targets = envelope.payloadMembers.filter { s.key(of: $0, equals: "learning_time") }
        guard targets.count == 1, let m = targets.first, s.kind(at: m.valueStart) == .object,
            let members = try? s.members(ofObjectAt: m.valueStart),
            DuplicateMembers.count("revision", in: members, of: s) == 0,
            DuplicateMembers.count("revision_of", in: members, of: s) == 0
        else { return payload }
        let base = envelope.payload!.lowerBound
        let close = m.valueEnd - 1 - base
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 48 + original.utf8.count)
        out.append(contentsOf: payload[..<close])
        if !members.isEmpty { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: #""revision":\#(number),"revision_of":"#.utf8)
        JSONBuffer.appendEscaped(original, to: &out)
        out.append(contentsOf: payload[close...])
        return out
    }
}
