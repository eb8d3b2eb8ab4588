/// The command line's progress hooks: the live progress line (a terminal on standard error) and
/// the periodic `--stats` report. The input loop drives them (``ToolRun``); the log sink clears the
/// progress line before it writes anything.
public struct ProgressHooks {
    /// The live progress line, when standard error is a terminal.
    public var line: ProgressLine?
    /// Periodic `--stats` summaries (`--stats-interval`).
    public var periodic: PeriodicReport?

    public init() {}
}
