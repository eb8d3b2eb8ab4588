/// What is wrong with a rollout file or the flag settings. At start-up it stops the tool (a
/// configuration error); while running, the last good setting stays in force and the problem is a warning.
public struct RolloutError: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .configuration }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
