/// Why a payload goes out without learning time; written as `enrichment.reason` and counted by `--stats`.
public enum OmissionReason: String, Sendable, CaseIterable {
    /// Neither a `completion` object nor `event_type` `course_completion`.
    case notCompletion = "not_completion"
    /// The flag is off for this line (its enterprise or integration, or everywhere).
    case flagOff = "flag_off"
    /// The line has no `lookup` member (it did not go through lt-query).
    case noLookup = "no_lookup"
    /// The lookup's status says so.
    case notFound = "not_found"
    case unavailable
    case skipped
    case invalid
    /// The lookup found a total of 0 or below; the specification sends no zero.
    case zeroTotal = "zero_total"
}
