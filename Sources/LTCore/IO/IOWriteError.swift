#if canImport(Glibc)
import Glibc
#endif

/// Lines could not be written to a file (a full disk, an I/O error): exit 74, as sysexits' EX_IOERR.
public struct IOWriteError: LTError {
    public let path: String
    public let reason: String
    /// Whole lines that were not written.
    public let lines: Int
    public var kind: ErrorKind { .io }

    public init(path: String, errno: Int32, lines: Int) {
        self.path = path
        reason = String(cString: strerror(errno))
        self.lines = lines
    }

    public var message: String { "cannot write \(path): \(reason)" }
    public var hint: String { "free disk space or fix the file, then re-run" }
}
