/// What a run has reported so far: whether any line or step failed, and how many errors and
/// warnings it wrote. The exit status is decided from it, once, at the end (``Diagnostics/hasFailed``).
public struct RunStatus: Sendable, Equatable {
    public private(set) var hasFailed = false
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0

    public init() {}

    /// An error was reported: the run has failed.
    mutating func error() {
        hasFailed = true
        errorCount += 1
    }

    mutating func warning() { warningCount += 1 }

    /// The run has failed without a message of its own (an upstream tool's error record).
    mutating func markFailed() { hasFailed = true }
}
