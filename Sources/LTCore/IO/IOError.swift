#if canImport(Glibc)
import Glibc
#endif

/// Reading, writing or appending a file or stream failed: a full disk, a device error, a path that
/// cannot be opened, a journal that cannot be read, lines whose fate could not be recorded. Not a
/// configuration mistake, so it has an exit status of its own (74, sysexits' EX_IOERR). The one I/O
/// error type of the project.
public struct IOError: LTError {
    /// What was being done when it failed.
    public enum Operation: String, Sendable {
        case reading, writing, appending
    }

    public let operation: Operation
    public let message: String
    public let hint: String
    /// Whole lines that were not written, when the failure lost lines; 0 otherwise.
    public let lines: Int
    public var kind: ErrorKind { .io }

    public init(_ operation: Operation, _ message: String, hint: String = "", lines: Int = 0) {
        self.operation = operation
        self.message = message
        self.hint = hint
        self.lines = lines
    }

    /// `lines` whole lines could not be written to `path`, for the reason `errno` gives.
    public static func write(path: String, errno: Int32, lines: Int) -> IOError {
        IOError(
            .writing, "cannot write \(path): \(String(cString: strerror(errno)))",
            hint: "free disk space or fix the file, then re-run", lines: lines)
    }

    /// lt-send could not record what became of `lines` lines (results, dead letters, journal);
    /// `cause` is the first failure, `note` what it means for the journal.
    public static func unrecorded(lines: Int, cause: String, note: String) -> IOError {
        IOError(
            .writing,
            (lines > 0 ? "\(lines) lines could not be recorded (\(cause))" : "lt-send stopped early: \(cause)") + note,
            hint: "free disk space or fix the files; lines not delivered are in the dead-letter file where it could "
                + "be written, and a re-run with the same journal skips what was delivered",
            lines: lines)
    }
}
