/// A configuration problem found at start-up (bad address, missing table, bad file contents):
/// retrying cannot help, and the tool stops.
public struct ConfigError: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .configuration }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
