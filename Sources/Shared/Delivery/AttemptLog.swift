/// `--attempts FILE`: one NDJSON record per HTTP attempt, appended as it ends, for audits and
/// partner disputes (as Svix's and Convoy's attempt histories). Each record is one whole line,
/// written with one `write` on an append-only descriptor.
///
/// Fields: `line`, `source`, `id`, `integration`, `url` (without its query), `attempt` (1-based),
/// `started_at`, `duration_ms`, `http_status` (null without an answer), `error` (null when
/// delivered), `response` (the first 4 KiB of a non-2xx body, or null), and lt-enrich's decision
/// as in results (`learning_time`, `reason`, `rule`, `lookup_status`, `lookup_source`, `key`: ids only).
final class AttemptLog {
    /// One ended attempt.
    struct Record {
        var location: SourceLocation
        var id: String
        var integration: String?
        var url: String
        var attempt: Int
        /// Wall-clock seconds since the epoch.
        var startedAt: Double
        var seconds: Double
        var httpStatus: Int?
        var error: String?
        var response: MaskedText?
        var enrichment: EnrichmentDecision?
    }

    let file: AppendFile
    private var buffer = JSONBuffer(capacity: 1024)

    init(path: String) throws { file = try AppendFile(path: path, what: "the attempts file") }

    func append(_ r: Record) throws {
        buffer.removeAll()
        buffer.beginObject()
        buffer.key("line"); buffer.int(r.location.line)
        buffer.key("source"); buffer.string(r.location.source)
        buffer.key("id"); buffer.string(r.id)
        buffer.key("integration"); buffer.stringOrNull(r.integration)
        buffer.key("url"); buffer.string(r.url)
        buffer.key("attempt"); buffer.int(r.attempt)
        buffer.key("started_at"); buffer.string(Timestamps.iso8601(r.startedAt))
        buffer.key("duration_ms"); buffer.double((r.seconds * 1e6).rounded() / 1e3)
        buffer.key("http_status"); if let s = r.httpStatus { buffer.int(s) } else { buffer.null() }
        buffer.key("error"); buffer.stringOrNull(r.error)
        buffer.key("response"); buffer.stringOrNull(r.response?.text)
        buffer.key("learning_time"); if let e = r.enrichment { buffer.bool(e.learningTime) } else { buffer.null() }
        EnrichmentDecision.writeResultMembers(r.enrichment, to: &buffer)
        buffer.endObject()
        try file.appendLine(buffer.bytes)
    }
}
