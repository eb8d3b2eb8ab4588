/// lt-enrich's core: decides per line whether the payload gets learning time, and splices it in
/// so that every other byte of the payload stays as it came.
public final class Enricher {
    private let flag: EnrichmentFlag
    private let options: EnrichOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    public private(set) var stats = EnrichStats()
    private var out = JSONBuffer(capacity: 8192)
    private var payloadBytes: [UInt8] = []
    private var valueBytes: [UInt8] = []
    private let fieldText: String
    /// Each `--field` part as a JSON string literal followed by `:`, escaped once.
    private let fieldKeys: [[UInt8]]

    /// The `enrichment` member of the line being written.
    private var marker = JSONBuffer(capacity: 256)

    public init(
        flag: EnrichmentFlag, options: EnrichOptions, diagnostics: Diagnostics, metrics: Metrics,
        output: OutputWriter
    ) {
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.output = output
        self.fieldText = options.field.joined(separator: ".")
        self.fieldKeys = options.field.map { part in
            var key: [UInt8] = []
            JSONBuffer.appendEscaped(part, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
        if flag.diagnostics == nil { flag.diagnostics = diagnostics }
        metrics.startAtZero(.enriched)
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
                throw InputError(
                    "line is \(total) bytes long, over the limit", hint: "split the payload or raise the limit")
            }
            let envelope = try Envelope(line.bytes)
            if envelope.isErrorRecord {
                stats.errors += 1
                diagnostics.markFailed()
                if diagnostics.isOn(.info) { diagnostics.info("error record passed on", at: line.location) }
                try output.write(line.bytes)
                try output.endLine()
                return
            }
            try enrich(envelope, at: line.location)
        } catch let e as LTError {
            stats.errors += 1
            diagnostics.error(e, at: line.location)
            out.removeAll()
            ErrorRecord.make(tool: diagnostics.tool, location: line.location, error: e, line: line, into: &out)
        }
        try output.write(out.bytes)
        try output.endLine()
    }

    /// What happens to the line and why: the reason it goes out without learning time (nil when it
    /// gets it), the flag's rule, the lookup's status and source, and the key when it can be read.
    private func decide(
        _ envelope: Envelope, _ lookup: LookupResult?,
        at location: SourceLocation
    ) -> EnrichmentDecision {
        var d = EnrichmentDecision(lookupStatus: lookup?.status, lookupSource: lookup?.source)
        if let name = envelope.duplicateMember() {
            // Whatever the lookup says, it may be another learner's: the line goes on without learning time.
            diagnostics.warning("\(Envelope.duplicateError(name).description); not enriched", at: location)
            d.reason = .invalid
            return d
        }
        guard envelope.isCourseCompletion else {
            d.reason = .notCompletion
            return d
        }
        // The key is recorded when it can be read; lt-query judged it already, except that a key
        // naming another learner than the payload is never trusted, whatever the lookup says.
        var disagreement: KeyDisagreement?
        do { d.key = try envelope.lookupKey() } catch let e as KeyDisagreement { disagreement = e } catch {}
        let flagDecision = flag.decide(envelope)
        d.rule = flagDecision.rule
        guard flagDecision.on else {
            d.reason = .flagOff
            return d
        }
        if let disagreement {
            if lookup.map({ $0.status != .invalid }) ?? true {
                diagnostics.warning("\(disagreement.message); not enriched", at: location)
            }
            d.reason = .invalid
            return d
        }
        guard let lookup else {
            d.reason = .noLookup
            return d
        }
        switch lookup.status {
        case .found: break
        case .notFound: d.reason = .notFound
        case .unavailable: d.reason = .unavailable
        case .skipped: d.reason = .skipped
        case .invalid: d.reason = .invalid
        }
        guard d.reason == nil else { return d }
        guard let t = lookup.totalSeconds, t > 0 else {
            d.reason = .zeroTotal
            return d
        }
        d.learningTime = true
        d.totalSeconds = t
        return d
    }

    private func enrich(_ envelope: Envelope, at location: SourceLocation) throws {
        let s = envelope.json
        let lookup = try envelope.lookup.map { try LookupResult.parse(s, objectAt: $0.valueStart) }
        if let lookup, lookup.status == .found, lookup.totalSeconds == nil {
            throw InputError("lookup is found but has no total_seconds", hint: "let lt-query write the lookup member")
        }
        let decision = decide(envelope, lookup, at: location)
        marker.removeAll()
        decision.write(to: &marker)
        if let reason = decision.reason {
            if reason == .unavailable && options.requireLearningTime {
                throw InputError(
                    "learning time is unavailable (\(lookup?.error ?? "warehouse error")) and --require-learning-time is set",
                    hint: "re-run this line from the dead-letter file once the warehouse is back")
            }
            stats.omitted[reason.rawValue, default: 0] += 1
            metrics.increment(.omitted, tags: [("reason", reason.rawValue)])
            if diagnostics.isOn(.info) {
                var context: LogContext = ["reason": .string(reason.rawValue)]
                if let rule = decision.rule { context["rule"] = .string(rule.rawValue) }
                diagnostics.info(
                    "passed on without learning time (\(reason.rawValue)\(decision.rule.map { ", rule \($0.rawValue)" } ?? ""))",
                    at: location, context: context)
            }
            try write(envelope, payload: nil, enrichment: marker.bytes)
            return
        }
        let total = lookup!.totalSeconds!
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
            if let date = lookup!.lastUpdated {
                // A checked UTC timestamp: digits and -:.+TZ only, nothing to escape.
                valueBytes.append(UInt8(ascii: "\""))
                valueBytes.append(contentsOf: date.utf8)
                valueBytes.append(UInt8(ascii: "\""))
            } else {
                valueBytes.append(contentsOf: "null".utf8)
            }
            valueBytes.append(UInt8(ascii: "}"))
        }
        payloadBytes.removeAll(keepingCapacity: true)
        let replaced = try splice(
            s, object: envelope.payload!, members: envelope.payloadMembers, path: options.field[...],
            into: &payloadBytes)
        if replaced {
            diagnostics.warning("payload already had \(fieldText); replaced it", at: location)
        }
        stats.enriched += 1
        metrics.increment(.enriched)
        if diagnostics.isOn(.info) {
            var context: LogContext = ["total_seconds": .int(total), "field": .string(fieldText)]
            if let rule = decision.rule { context["rule"] = .string(rule.rawValue) }
            diagnostics.info(
                "learning time added\(decision.rule.map { " (rule \($0.rawValue))" } ?? "")", at: location,
                context: context)
        }
        try write(envelope, payload: payloadBytes, enrichment: marker.bytes)
    }

    /// Writes the line: the envelope with `payload` (when given) and `enrichment` replaced in place
    /// or added at the end, every other member copied as it came; or, with `--unwrap`, the payload alone.
    private func write(_ envelope: Envelope, payload: [UInt8]?, enrichment: [UInt8]) throws {
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
