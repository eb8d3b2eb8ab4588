/// lt-enrich's byte work on one line, once it is decided whether the payload gets learning time: the
/// value, spliced into the payload so that every other byte stays as it came, and the line written
/// with the `enrichment` member.
///
/// ``Enricher`` (in Shared) decides, with the rollout flag, and logs and counts; the splice fuzz
/// target runs this alone, under the sanitizer.
public struct LineEnrichment {
    public let options: EnrichOptions
    /// The `--field` path, dotted, for messages.
    public let fieldText: String
    /// Each `--field` part as a JSON string literal followed by `:`, escaped once.
    private let fieldKeys: [[UInt8]]
    private var payloadBytes: [UInt8] = []
    private var valueBytes: [UInt8] = []

    public init(options: EnrichOptions) {
        self.options = options
        self.fieldText = options.field.joined(separator: ".")
        self.fieldKeys = options.field.map { part in
            var key: [UInt8] = []
            JSONBuffer.appendEscaped(part, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
    }

    /// Writes the line into `out` with the payload as it came and `enrichment` (a JSON object) as
    /// the envelope's `enrichment` member.
    public func writeOmitted(_ envelope: Envelope, enrichment: [UInt8], into out: inout JSONBuffer) {
        write(envelope, payload: nil, enrichment: enrichment, into: &out)
    }

    /// Writes the line into `out` with learning time set at the `--field` path of the payload
    /// (parents created as needed) and `enrichment` as the envelope's `enrichment` member. Returns
    /// true when the payload already had a value there. Throws ``InputError`` when the field cannot
    /// be written (a parent that is not an object, a name the payload has twice).
    public mutating func writeEnriched(
        _ envelope: Envelope, totalSeconds: Int64, lastUpdated: String?, enrichment: [UInt8],
        into out: inout JSONBuffer
    ) throws -> Bool {
        setValue(total: totalSeconds, lastUpdated: lastUpdated)
        payloadBytes.removeAll(keepingCapacity: true)
        let replaced = try splice(
            envelope.json, object: envelope.payload!, members: envelope.payloadMembers, path: options.field[...],
            into: &payloadBytes)
        write(envelope, payload: payloadBytes, enrichment: enrichment, into: &out)
        return replaced
    }

    /// The value written at the field, in `valueBytes`.
    private mutating func setValue(total: Int64, lastUpdated: String?) {
        valueBytes.removeAll(keepingCapacity: true)
        switch options.format {
        case .seconds:
            valueBytes.appendDecimal(total)
        case .object:
            valueBytes.append(contentsOf: #"{"total_seconds":"#.utf8)
            valueBytes.appendDecimal(total)
            valueBytes.append(contentsOf: #","total_hours":"#.utf8)
            LearningHours.append(totalSeconds: total, to: &valueBytes)
            valueBytes.append(contentsOf: #","last_updated":"#.utf8)
            if let date = lastUpdated {
                // A checked UTC timestamp: digits and -:.+TZ only, nothing to escape.
                valueBytes.append(UInt8(ascii: "\""))
                valueBytes.append(contentsOf: date.utf8)
                valueBytes.append(UInt8(ascii: "\""))
            } else {
                valueBytes.append(contentsOf: "null".utf8)
            }
            valueBytes.append(UInt8(ascii: "}"))
        }
    }

    /// Writes the line: the envelope with `payload` (when given) and `enrichment` replaced in place
    /// or added at the end, every other member copied as it came; or, with `--unwrap`, the payload alone.
    private func write(_ envelope: Envelope, payload: [UInt8]?, enrichment: [UInt8], into out: inout JSONBuffer) {
        let s = envelope.json
        if options.unwrap {
            if let payload { out.raw(payload) } else { out.raw(s.bytes(envelope.payload!)) }
            return
        }
        out.beginObject()
        var wroteEnrichment = false
        if envelope.isBare {
            out.key("payload")
            if let payload { out.raw(payload) } else { out.raw(s.bytes(envelope.payload!)) }
        } else {
            var wrotePayload = false
            for m in envelope.members {
                if payload != nil && s.key(of: m, equals: "payload") {
                    // Duplicate members collapse into the one replacement.
                    if !wrotePayload { out.key("payload"); out.raw(payload!); wrotePayload = true }
                } else if s.key(of: m, equals: "enrichment") {
                    if !wroteEnrichment { out.key("enrichment"); out.raw(enrichment); wroteEnrichment = true }
                } else {
                    out.rawMember(s.bytes(m.whole))
                }
            }
        }
        if !wroteEnrichment { out.key("enrichment"); out.raw(enrichment) }
        out.endObject()
    }

    /// Copies the object at `object` with `valueBytes` set at `path`, creating missing parents.
    /// Returns true when a value was already there and got replaced.
    private func splice(
        _ s: JSONScanner, object: Range<Int>, members: [JSONMember], path: ArraySlice<String>,
        into dest: inout [UInt8]
    ) throws -> Bool {
        let name = path.first!
        // Parsers disagree on which of two same-named members counts, so neither is written into.
        if DuplicateMembers.count(name, in: members, of: s) > 1 {
            throw InputError(
                "cannot write \(fieldText): the payload has \"\(name)\" twice in one object",
                hint: "write each member once upstream; parsers disagree on which copy counts")
        }
        if let m = members.last(where: { s.key(of: $0, equalsString: name) }) {
            dest.append(contentsOf: s.bytes(object.lowerBound..<m.valueStart))
            var replaced = true
            if path.count == 1 {
                dest.append(contentsOf: valueBytes)
            } else {
                guard s.kind(at: m.valueStart) == .object else {
                    throw InputError(
                        "cannot write \(fieldText): \(name) is a JSON \(s.kind(at: m.valueStart).rawValue), not an object",
                        hint: "choose another --field")
                }
                replaced = try splice(
                    s, object: m.value, members: try s.members(ofObjectAt: m.valueStart),
                    path: path.dropFirst(), into: &dest)
            }
            dest.append(contentsOf: s.bytes(m.valueEnd..<object.upperBound))
            return replaced
        }
        let insertAt = members.last?.valueEnd ?? object.lowerBound + 1
        dest.append(contentsOf: s.bytes(object.lowerBound..<insertAt))
        if !members.isEmpty { dest.append(UInt8(ascii: ",")) }
        // `path` is a slice of `options.field`, so its indices are those of `fieldKeys`.
        for i in path.indices {
            if i > path.startIndex { dest.append(UInt8(ascii: "{")) }
            dest.append(contentsOf: fieldKeys[i])
        }
        dest.append(contentsOf: valueBytes)
        for _ in 1..<path.count { dest.append(UInt8(ascii: "}")) }
        dest.append(contentsOf: s.bytes(insertAt..<object.upperBound))
        return false
    }
}
