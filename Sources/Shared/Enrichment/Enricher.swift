/// lt-enrich's core: decides per line whether the payload gets learning time, and splices it in
/// so that every other byte of the payload stays as it came.
public final class Enricher {
    private let flag: EnrichmentFlag
    private let options: EnrichOptions
    private let diagnostics: Diagnostics
    private let output: OutputWriter
    public private(set) var stats = EnrichStats()
    private var out = JSONBuffer(capacity: 8192)
    private var payloadBytes: [UInt8] = []
    private var valueBytes: [UInt8] = []

    public init(flag: EnrichmentFlag, options: EnrichOptions, diagnostics: Diagnostics, output: OutputWriter) {
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.output = output
        if flag.isOffForAll {
            diagnostics.warning("enrichment is off (\(flag.origin)); payloads pass through without learning time")
        }
    }

    public func run(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in try? self.output.flush() }
        while let line = try reader.next() {
            try process(line)
        }
        try output.flush()
    }

    public func process(_ line: InputLine) throws {
        stats.lines += 1
        out.removeAll()
        do {
            if let total = line.truncatedFrom {
                throw InputError("line is \(total) bytes long, over the limit", hint: "split the payload or raise the limit")
            }
            let envelope = try Envelope(line.bytes)
            if envelope.isErrorRecord {
                stats.errors += 1
                diagnostics.markFailed()
                try output.write(line.bytes)
                try output.endLine()
                return
            }
            try enrich(envelope, at: line.location)
        } catch let e as LTError {
            stats.errors += 1
            diagnostics.error(e.description, at: line.location)
            out.removeAll()
            ErrorRecord.make(tool: diagnostics.tool, location: line.location, error: e, line: line, into: &out)
        }
        try output.write(out.bytes)
        try output.endLine()
    }

    /// Why a payload goes out without learning time, or nil when it gets it.
    private func omission(_ envelope: Envelope, _ lookup: LookupResult?) -> String? {
        guard envelope.isCourseCompletion else { return "not_completion" }
        guard flag.isEnabled(enterprise: envelope.enterpriseID, integration: envelope.integration) else { return "flag_off" }
        guard let lookup else { return "no_lookup" }
        guard lookup.status == .found else { return lookup.status.rawValue }
        guard let t = lookup.totalSeconds, t > 0 else { return "zero_total" }
        return nil
    }

    private func enrich(_ envelope: Envelope, at location: SourceLocation) throws {
        let s = envelope.json
        let lookup = try envelope.lookup.map { try LookupResult.parse(s, objectAt: $0.valueStart) }
        if let reason = omission(envelope, lookup) {
            if reason == LookupStatus.unavailable.rawValue && options.requireLearningTime {
                throw InputError("learning time is unavailable (\(lookup?.error ?? "warehouse error")) and --require-learning-time is set",
                                 hint: "re-run this line from the dead-letter file once the warehouse is back")
            }
            stats.omitted[reason, default: 0] += 1
            try write(envelope, payload: nil, enrichment: Array("{\"learning_time\":false,\"reason\":\"\(reason)\"}".utf8))
            return
        }
        let total = lookup!.totalSeconds!
        valueBytes.removeAll(keepingCapacity: true)
        switch options.format {
        case .seconds:
            valueBytes.append(contentsOf: String(total).utf8)
        case .object:
            valueBytes.append(contentsOf: "{\"total_seconds\":\(total),\"total_hours\":\(LearningHours.text(totalSeconds: total)),\"last_updated\":".utf8)
            if let date = lookup!.lastUpdated { JSONBuffer.appendEscaped(date, to: &valueBytes) } else { valueBytes.append(contentsOf: "null".utf8) }
            valueBytes.append(UInt8(ascii: "}"))
        }
        payloadBytes.removeAll(keepingCapacity: true)
        let replaced = try splice(s, object: envelope.payload!, path: options.field[...], into: &payloadBytes)
        if replaced {
            diagnostics.warning("payload already had \(options.field.joined(separator: ".")); replaced it", at: location)
        }
        stats.enriched += 1
        try write(envelope, payload: payloadBytes, enrichment: Array("{\"learning_time\":true}".utf8))
    }

    private func write(_ envelope: Envelope, payload: [UInt8]?, enrichment: [UInt8]) throws {
        if options.unwrap {
            if let payload { out.raw(payload) } else { out.raw(envelope.json.bytes(envelope.payload!)) }
            return
        }
        var replacements: [(StaticString, [UInt8])] = []
        if let payload { replacements.append(("payload", payload)) }
        replacements.append(("enrichment", enrichment))
        envelope.write(replacing: replacements, to: &out)
    }

    /// Copies the object at `object` with `valueBytes` set at `path`, creating missing parents.
    /// Returns true when a value was already there and got replaced.
    private func splice(_ s: JSONScanner, object: Range<Int>, path: ArraySlice<String>, into dest: inout [UInt8]) throws -> Bool {
        let members = try s.members(ofObjectAt: object.lowerBound)
        let name = path.first!
        // With duplicate keys, the last one is what most parsers keep, so that is the one replaced.
        if let m = members.last(where: { s.key(of: $0, equalsString: name) }) {
            dest.append(contentsOf: s.bytes(object.lowerBound..<m.valueStart))
            var replaced = true
            if path.count == 1 {
                dest.append(contentsOf: valueBytes)
            } else {
                guard s.kind(at: m.valueStart) == .object else {
                    throw InputError("cannot write \(options.field.joined(separator: ".")): \(name) is a JSON \(s.kind(at: m.valueStart).rawValue), not an object",
                                     hint: "choose another --field")
                }
                replaced = try splice(s, object: m.value, path: path.dropFirst(), into: &dest)
            }
            dest.append(contentsOf: s.bytes(m.valueEnd..<object.upperBound))
            return replaced
        }
        let insertAt = members.last?.valueEnd ?? object.lowerBound + 1
        dest.append(contentsOf: s.bytes(object.lowerBound..<insertAt))
        if !members.isEmpty { dest.append(UInt8(ascii: ",")) }
        for (i, part) in path.enumerated() {
            if i > 0 { dest.append(UInt8(ascii: "{")) }
            JSONBuffer.appendEscaped(part, to: &dest)
            dest.append(UInt8(ascii: ":"))
        }
        dest.append(contentsOf: valueBytes)
        for _ in 1..<path.count { dest.append(UInt8(ascii: "}")) }
        dest.append(contentsOf: s.bytes(insertAt..<object.upperBound))
        return false
    }
}
