/// One input line on its way to its endpoint: what is sent, where, and how far it got.
final class PendingDelivery {
    let location: SourceLocation
    /// The line as it arrived, for the dead-letter file.
    let line: [UInt8]
    /// The payload bytes, sent as they are.
    let body: [UInt8]
    /// The webhook id sent: the line's, or for a correction the revision's.
    let id: String
    /// The id as the `webhook-id` header carries it (checked by ``InboundLine``).
    let idHeader: HeaderValue
    /// For a correction (`--resend-changed`): its number and the original id.
    let revision: Revision?
    /// The SHA-256 of the payload as received (before a revision mark), for the journal; empty without one.
    let digest: [UInt8]
    /// The line's own id, under which it is de-duplicated within the run.
    var lineID: String { revision?.original ?? id }
    let endpoint: EndpointState
    /// The integration named in the result.
    let integration: String?
    /// lt-enrich's decision for the line, copied into its result and attempt records.
    let enrichment: EnrichmentDecision?
    var learningTime: Bool? { enrichment?.learningTime }
    /// A course completion, as opposed to an enrollment or other event, for the delivery metrics.
    let isCompletion: Bool
    var attempts = 0
    /// Monotonic time the line was read, for the task duration metric.
    let received: Double
    /// Monotonic time of the first attempt.
    var started = 0.0
    /// Monotonic time from which `--max-elapsed` counts: the first attempt, or the moment the line
    /// was first held by an open breaker, whichever came first.
    var clockStart: Double?
    /// Monotonic time the line was last held by an open breaker, while it is held.
    var heldSince: Double?
    /// A rate-limit slot is already taken for the next attempt.
    var paced = false
    /// The next attempt is the circuit breaker's probe.
    var probe = false
    /// An attempt failed and the next has not started: the line waits for its retry, outside the
    /// `--window` line count (``Sender``).
    var awaitingRetry = false
    /// A 401 already led to a fresh OAuth2 token once.
    var refreshedToken = false
    var tokenUsed: HeaderValue?
    /// A token fetched for this line's attempt, used even when its lifetime is too short to cache.
    var freshToken: HeaderValue?
    var httpStatus: Int?
    /// The start of the last non-2xx answer's body.
    var response: MaskedText?

    init(
        location: SourceLocation, line: [UInt8], body: [UInt8], id: HeaderValue, endpoint: EndpointState,
        integration: String?, enrichment: EnrichmentDecision?, isCompletion: Bool = true, received: Double,
        revision: Revision? = nil, digest: [UInt8] = []
    ) {
        self.revision = revision
        self.digest = digest
        self.received = received
        self.location = location
        self.line = line
        self.body = body
        self.id = id.text
        self.idHeader = id
        self.endpoint = endpoint
        self.integration = integration
        self.enrichment = enrichment
        self.isCompletion = isCompletion
    }

    /// Bytes this line keeps in memory until it is final, toward `--window-bytes`.
    var size: Int { line.count + body.count }

    /// Counts an attempt starting (or failing to start, without a token) at `now`.
    func beginAttempt(_ now: Double) {
        attempts += 1
        if attempts == 1 { started = now }
        if clockStart == nil { clockStart = now }
    }
}
