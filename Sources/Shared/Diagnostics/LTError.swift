/// What every error of this project says: what went wrong and how to fix it.
///
/// Each domain has its own error enum conforming to this; executables print `message`
/// (with the hint) through ``Diagnostics`` and choose the exit status from `exitCode`.
public protocol LTError: Error, CustomStringConvertible {
    /// What went wrong, in one sentence.
    var message: String { get }
    /// What the user can do about it; empty when there is nothing to add.
    var hint: String { get }
    /// Exit status when this error ends a tool: 2 for configuration, 1 otherwise.
    var exitCode: Int32 { get }
}

extension LTError {
    public var hint: String { "" }
    public var exitCode: Int32 { 1 }
    public var description: String { hint.isEmpty ? message : "\(message); \(hint)" }
}

/// A configuration or usage problem found at start-up: the tool stops with exit status 2.
public struct ConfigError: LTError {
    public let message: String
    public let hint: String
    public var exitCode: Int32 { 2 }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
