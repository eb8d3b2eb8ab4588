/// Reading, writing or appending a file or stream failed: a full disk, a device error, a path that
/// cannot be opened. Not a configuration mistake, so it has an exit status of its own.
public struct IOError: LTError {
    /// What was being done when it failed.
    public enum Operation: String, Sendable {
        case reading, writing, appending
    }

    public let operation: Operation
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .io }

    public init(_ operation: Operation, _ message: String, hint: String = "") {
        self.operation = operation
        self.message = message
        self.hint = hint
    }
}
