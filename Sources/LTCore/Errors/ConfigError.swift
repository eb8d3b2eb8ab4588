/// A configuration problem found at start-up (bad address, missing table, bad file contents, a bad
/// rollout file or flag setting): retrying cannot help, and the tool stops. (A rollout file that goes
/// bad during a run is a warning instead, and the last good setting stays in force.)
public struct ConfigError: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .configuration }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
