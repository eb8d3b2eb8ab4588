/// The final state of one input line in lt-send.
public enum DeliveryStatus: String, Sendable, CaseIterable {
    /// The endpoint answered 2xx.
    case delivered
    /// Attempts were made and none succeeded (exhausted, permanent error, endpoint gone, interrupted).
    case failed
    /// The line could not be sent at all (error record, bad JSON, unknown integration).
    case rejected
    /// Not sent because the journal says it was delivered before.
    case skipped
}

/// One line of lt-send's output.
public struct DeliveryResult {
    public var line: SourceLocation
    public var id: String?
    public var integration: String?
    public var url: String?
    public var status: DeliveryStatus
    public var httpStatus: Int?
    public var attempts = 0
    public var durationSeconds = 0.0
    public var error: String?
    /// The start of the last non-2xx answer's body, secrets masked (``SecretSet/snippet(_:limit:)``).
    public var response: MaskedText?
    public var learningTime: Bool?
    /// lt-enrich's decision, whose reason, rule, lookup and key (ids only) the result repeats.
    public var enrichment: EnrichmentDecision?
    /// For a correction: its number and the original id (written only then).
    public var revision: Revision?
    /// Wall-clock seconds since the epoch when the line became final.
    public var finishedAt: Double?
    /// False for a delivery whose journal entry could not be written (a full disk): a re-run with
    /// the same journal sends it again. Written only then, as `"journaled": false`.
    public var journaled = true

    public init(line: SourceLocation, status: DeliveryStatus) {
        self.line = line
        self.status = status
    }

    // Once per line: built for speed even in the -Osize release build (scripts/build-release.sh).
    @_optimize(speed)
    public func write(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("line"); json.int(line.line)
        json.key("source"); json.string(line.source)
        json.key("id"); json.stringOrNull(id)
        json.key("integration"); json.stringOrNull(integration)
        json.key("url"); json.stringOrNull(url)
        json.key("status"); json.string(status.rawValue)
        json.key("http_status"); if let httpStatus { json.int(httpStatus) } else { json.null() }
        json.key("attempts"); json.int(attempts)
        json.key("duration_ms"); json.double((durationSeconds * 1e6).rounded() / 1e3)
        json.key("error"); json.stringOrNull(error)
        json.key("response"); json.stringOrNull(response?.text)
        json.key("learning_time"); if let learningTime { json.bool(learningTime) } else { json.null() }
        EnrichmentDecision.writeResultMembers(enrichment, to: &json)
        if let revision {
            json.key("revision"); json.int(revision.number)
            json.key("revision_of"); json.string(revision.original)
        }
        json.key("finished_at"); if let finishedAt { json.string(Timestamps.iso8601(finishedAt)) } else { json.null() }
        if !journaled { json.key("journaled"); json.bool(false) }
        json.endObject()
    }
}
