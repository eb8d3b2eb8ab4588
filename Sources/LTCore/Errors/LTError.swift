/// What every error of this project says: what went wrong and how to fix it.
///
/// Each domain has its own error enum conforming to this; executables print `message`
/// (with the hint) through ``Diagnostics``, and the command line turns `kind` into the exit
/// status, in one place, at the end.
public protocol LTError: Error, CustomStringConvertible {
    /// What went wrong, in one sentence.
    var message: String { get }
    /// What the user can do about it; empty when there is nothing to add.
    var hint: String { get }
    /// What sort of failure this is; callers decide by it, never by an exit status. Every error
    /// says it: there is no default, so a new error type cannot end up with the wrong exit status.
    var kind: ErrorKind { get }
}

extension LTError {
    public var hint: String { "" }
    public var description: String { hint.isEmpty ? message : "\(message); \(hint)" }
}
