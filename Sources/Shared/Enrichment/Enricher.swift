/// lt-enrich's core: decides per line whether the payload gets learning time, and splices it in
/// so that every other byte of the payload stays as it came. The byte work is ``LineEnrichment``
/// (LTCore); this adds the rollout flag, diagnostics, metrics and counts.
public final class Enricher {
    private let flag: EnrichmentFlag
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    public private(set) var stats = EnrichStats()
    private var out = JSONBuffer(capacity: 8192)
    private var enrichment: LineEnrichment

    public init(
        flag: EnrichmentFlag, options: EnrichOptions, diagnostics: Diagnostics, metrics: Metrics,
        output: OutputWriter
    ) {
        self.flag = flag
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.output = output
        self.enrichment = LineEnrichment(options: options)
        if flag.diagnostics == nil { flag.diagnostics = diagnostics }
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
        do {
            let outcome = try enrichment.process(line, isEnabled: { flag.isEnabled($0) }, into: &out)
            record(outcome, at: line.location)
        } catch let e as LTError {
            stats.errors += 1
            diagnostics.error(e, at: line.location)
            out.removeAll()
            ErrorRecord.make(tool: diagnostics.tool, location: line.location, error: e, line: line, into: &out)
        }
        try output.write(out.bytes)
        try output.endLine()
    }

    /// Counts, logs and measures what happened to a line.
    private func record(_ outcome: LineEnrichment.Outcome, at location: SourceLocation) {
        switch outcome {
        case .errorRecord:
            stats.errors += 1
            diagnostics.markFailed()
            if diagnostics.isOn(.info) { diagnostics.info("error record passed on", at: location) }
        case .omitted(let reason, let duplicate):
            if let duplicate {
                diagnostics.warning("\(Envelope.duplicateError(duplicate).description); not enriched", at: location)
            }
            stats.omitted[reason.rawValue, default: 0] += 1
            metrics.increment(.omitted, tags: [("reason", reason.rawValue)])
            if diagnostics.isOn(.info) {
                diagnostics.info(
                    "passed on without learning time", at: location, context: ["reason": .string(reason.rawValue)])
            }
        case .enriched(let total, let replaced):
            if replaced {
                diagnostics.warning("payload already had \(enrichment.fieldText); replaced it", at: location)
            }
            stats.enriched += 1
            metrics.increment(.enriched)
            if diagnostics.isOn(.info) {
                diagnostics.info(
                    "learning time added", at: location,
                    context: ["total_seconds": .int(total), "field": .string(enrichment.fieldText)])
            }
        }
    }
}
