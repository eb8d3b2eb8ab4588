/// One input line on its way to its endpoint: what is sent, where, and how far it got.
final class PendingDelivery {
    let location: SourceLocation
    /// The line as it arrived, for the dead-letter file.
    let line: [UInt8]
    /// The payload bytes, sent as they are.
    let body: [UInt8]
    let id: String
    let endpoint: EndpointState
    /// The integration named in the result.
    let integration: String?
    let learningTime: Bool?
    /// A course completion, as opposed to an enrollment or other event, for the delivery metrics.
    let isCompletion: Bool
    var attempts = 0
    /// Monotonic time the line was read, for the task duration metric.
    let received = Timestamps.monotonic()
    /// Monotonic time of the first attempt.
    var started = 0.0
    /// A rate-limit slot is already taken for the next attempt.
    var paced = false
    /// The next attempt is the circuit breaker's probe.
    var probe = false
    /// A 401 already led to a fresh OAuth2 token once.
    var refreshedToken = false
    var tokenUsed: String?
    var httpStatus: Int?

    init(location: SourceLocation, line: [UInt8], body: [UInt8], id: String, endpoint: EndpointState,
         integration: String?, learningTime: Bool?, isCompletion: Bool = true) {
        self.location = location
        self.line = line
        self.body = body
        self.id = id
        self.endpoint = endpoint
        self.integration = integration
        self.learningTime = learningTime
        self.isCompletion = isCompletion
    }
}
