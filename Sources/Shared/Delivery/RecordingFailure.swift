/// Lines whose fate could not be written: exit 74 (sysexits' EX_IOERR).
public struct RecordingFailure: LTError {
    public let lines: Int
    public let cause: String
    public let note: String
    public var kind: ErrorKind { .io }
    public var message: String {
        (lines > 0 ? "\(lines) lines could not be recorded (\(cause))" : "lt-send stopped early: \(cause)") + note
    }
    public var hint: String {
        "free disk space or fix the files; lines not delivered are in the dead-letter file where it could be written, "
            + "and a re-run with the same journal skips what was delivered"
    }
}
