/// Where log records go, shaped like swift-log's `LogHandler`: a level below which records are
/// dropped, and one call per record with its metadata. ``Diagnostics``, the one place every tool
/// reports through, holds one chosen at start-up (``StreamLogSink`` on standard error); the policy
/// of what is shown (repeats folded, the run failed) stays in ``Diagnostics``.
///
/// Why not swift-log itself: its `Logger` carries string metadata and nothing of a run's outcome or
/// of folding repeats, which lt needs on every record, and it would be one more package in a static
/// binary held to a size budget. The shape is the same, so moving to it later is a new sink.
public protocol LogSink: AnyObject {
    /// Records below this level are not asked for: as with swift-log's `Logger`, the caller checks
    /// the level, so that a record's metadata is never built for nothing.
    var logLevel: DiagnosticLevel { get set }
    /// Writes one record: its level, what went wrong, how to fix it (may be empty), the input line
    /// it concerns, and its metadata (`context`). The caller has checked the level; notes of the
    /// caller's own (repeats counted) may come at any level.
    func log(level: DiagnosticLevel, message: String, hint: String, source: SourceLocation?, metadata: LogContext)
    /// Writes a block as it is, without a level (`--stats`, the usage text).
    func write(raw text: String)
}
