/// lt-enrich's core: decides per line whether the payload gets learning time, and splices it in
/// so that every other byte of the payload stays as it came. The byte work (the value, the splice,
/// the line written) is ``LineEnrichment`` in LTCore, which the splice fuzz target runs alone.
public final class Enricher {
    private let flag: EnrichmentFlag
    private let options: EnrichOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    public private(set) var stats = EnrichStats()
    private var out = JSONBuffer(capacity: 8192)
    private var lineEnrichment: LineEnrichment
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
        self.lineEnrichment = LineEnrichment(options: options)
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
            lineEnrichment.writeOmitted(envelope, enrichment: marker.bytes, into: &out)
            return
        }
        let total = lookup!.totalSeconds!
        let replaced = try lineEnrichment.writeEnriched(
            envelope, totalSeconds: total, lastUpdated: lookup!.lastUpdated, enrichment: marker.bytes, into: &out)
        if replaced {
            diagnostics.warning("payload already had \(lineEnrichment.fieldText); replaced it", at: location)
        }
        stats.enriched += 1
        metrics.increment(.enriched)
        if diagnostics.isOn(.info) {
            var context: LogContext = ["total_seconds": .int(total), "field": .string(lineEnrichment.fieldText)]
            if let rule = decision.rule { context["rule"] = .string(rule.rawValue) }
            diagnostics.info(
                "learning time added\(decision.rule.map { " (rule \($0.rawValue))" } ?? "")", at: location,
                context: context)
        }
    }
}
