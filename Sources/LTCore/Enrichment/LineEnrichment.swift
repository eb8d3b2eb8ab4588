/// lt-enrich's work on one line's bytes: whether the payload gets learning time, and the line written
/// with the value spliced in so that every other byte of the payload stays as it came.
///
/// It has no side effects: ``Enricher`` (in Shared) adds the rollout flag, diagnostics, metrics and
/// counts from the ``Outcome``; the splice fuzz target runs this alone, under the sanitizer.
public struct LineEnrichment {
    /// What happened to a line that did not fail.
    public enum Outcome: Equatable {
        /// The line is an error record from an earlier tool; it was copied as it came.
        case errorRecord
        /// The payload goes on without learning time. `duplicate` names a top-level member the
        /// envelope has twice (the lookup may be another learner's), when that is why.
        case omitted(OmissionReason, duplicate: String?)
        /// Learning time was added; `replaced` when the payload already had a value at the field.
        case enriched(totalSeconds: Int64, replaced: Bool)
    }

    public let options: EnrichOptions
    /// The `--field` path, dotted, for messages.
    public let fieldText: String
    /// Each `--field` part as a JSON string literal followed by `:`, escaped once.
    private let fieldKeys: [[UInt8]]
    private var payloadBytes: [UInt8] = []
    private var valueBytes: [UInt8] = []

    /// `{"learning_time":true}`, and the same with `false` and each reason, made once.
    private static let enrichedMarker = Array(#"{"learning_time":true}"#.utf8)
    private static let omittedMarkers: [OmissionReason: [UInt8]] = Dictionary(
        uniqueKeysWithValues: OmissionReason.allCases.map {
            ($0, Array(#"{"learning_time":false,"reason":"\#($0.rawValue)"}"#.utf8))
        })

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

    /// Writes the output line for `line` into `out` (which it empties first). `isEnabled` is the
    /// rollout flag's answer for the envelope. Throws an ``LTError`` when the line becomes an error record.
    public mutating func process(
        _ line: InputLine, isEnabled: (Envelope) -> Bool, into out: inout JSONBuffer
    ) throws -> Outcome {
        out.removeAll()
        if let total = line.truncatedFrom {
            throw InputError(
                "line is \(total) bytes long, over the limit", hint: "split the payload or raise the limit")
        }
        let envelope = try Envelope(line.bytes)
        if envelope.isErrorRecord {
            out.raw(line.bytes)
            return .errorRecord
        }
        let s = envelope.json
        let lookup = try envelope.lookup.map { try LookupResult.parse(s, objectAt: $0.valueStart) }
        if let lookup, lookup.status == .found, lookup.totalSeconds == nil {
            throw InputError("lookup is found but has no total_seconds", hint: "let lt-query write the lookup member")
        }
        // Whatever the lookup says, it may be another learner's: the line goes on without learning time.
        if let name = envelope.duplicateMember() {
            write(envelope, payload: nil, enrichment: Self.omittedMarkers[.invalid]!, into: &out)
            return .omitted(.invalid, duplicate: name)
        }
        if let reason = Self.omission(envelope, lookup, isEnabled: isEnabled) {
            if reason == .unavailable && options.requireLearningTime {
                throw InputError(
                    "learning time is unavailable (\(lookup?.error ?? "warehouse error")) and --require-learning-time is set",
                    hint: "re-run this line from the dead-letter file once the warehouse is back")
            }
            write(envelope, payload: nil, enrichment: Self.omittedMarkers[reason]!, into: &out)
            return .omitted(reason, duplicate: nil)
        }
        let total = lookup!.totalSeconds!
        setValue(total: total, lastUpdated: lookup!.lastUpdated)
        payloadBytes.removeAll(keepingCapacity: true)
        let replaced = try splice(
            s, object: envelope.payload!, members: envelope.payloadMembers, path: options.field[...],
            into: &payloadBytes)
        write(envelope, payload: payloadBytes, enrichment: Self.enrichedMarker, into: &out)
        return .enriched(totalSeconds: total, replaced: replaced)
    }

    /// Why a payload without duplicate members goes out without learning time, or nil when it gets it.
    private static func omission(
        _ envelope: Envelope, _ lookup: LookupResult?, isEnabled: (Envelope) -> Bool
    ) -> OmissionReason? {
        guard envelope.isCourseCompletion else { return .notCompletion }
        guard isEnabled(envelope) else { return .flagOff }
        guard let lookup else { return .noLookup }
        switch lookup.status {
        case .found: break
        case .notFound: return .notFound
        case .unavailable: return .unavailable
        case .skipped: return .skipped
        case .invalid: return .invalid
        }
        guard let t = lookup.totalSeconds, t > 0 else { return .zeroTotal }
        return nil
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
