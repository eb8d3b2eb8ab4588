import Shared

/// The exit statuses of the contract (docs/contract.md), decided in this one place from what
/// happened, at the end of a run.
public enum ExitStatus {
    /// Every line succeeded.
    public static let success: Int32 = 0
    /// At least one line did not succeed.
    public static let failure: Int32 = 1
    /// A configuration error: retrying with the same settings cannot help.
    public static let configuration: Int32 = 2
    /// A usage error: the command line is wrong (sysexits' EX_USAGE).
    public static let usage: Int32 = 64
    /// Reading or writing a file or stream failed, such as on a full disk (sysexits' EX_IOERR).
    public static let io: Int32 = 74

    /// The status a run ends with when an error of `kind` stops it.
    public static func of(_ kind: ErrorKind) -> Int32 {
        switch kind {
        case .failure, .unavailable: failure
        case .configuration: configuration
        case .usage: usage
        case .io: io
        }
    }
}
