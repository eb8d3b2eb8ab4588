/// The journal could not be read or written during a run: lines cannot be recorded (exit 74).
public struct JournalError: LTError {
    public let message: String
    public var kind: ErrorKind { .io }

    public init(_ message: String) { self.message = message }
}
