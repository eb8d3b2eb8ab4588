/// What sort of failure an error is. Code that must tell errors apart asks for the kind; the
/// command line maps each kind to an exit status in one place (`ExitStatus` in LTCommandLine).
public enum ErrorKind: Sendable, Equatable, CaseIterable {
    /// One line or one lookup could not be handled; the run goes on and its exit status says so.
    case failure
    /// A service (the warehouse, an endpoint) could not be reached or answered with an error;
    /// retrying may help.
    case unavailable
    /// A setting that cannot work: a bad address, a missing table, a bad integrations or
    /// rollout file. Retrying cannot help.
    case configuration
    /// The command line itself is wrong: an unknown option, a bad value, options that do not go together.
    case usage
    /// Reading, writing or appending a file or stream failed (a full disk, an I/O error).
    case io
}
