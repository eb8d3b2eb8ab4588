import ArgumentParser
import Shared

extension GapPolicy: ExpressibleByArgument {}
extension RollupFormat: ExpressibleByArgument {}

/// lt-rollup's options: its inputs, the rule's settings, enterprises, and where the rows go.
public struct RollupArguments: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "Tracking logs to read, plain or gzip (told by content); '-' or none means standard input.",
            valueName: "file"),
        completion: .file())
    public var files: [String] = []

    @Option(
        help: ArgumentHelp(
            "CSV user_id,course_key,enterprise_customer_uuid with a header: whose enrollment belongs to which enterprise.",
            valueName: "file"),
        completion: .file())
    public var enterprises: String?

    @Flag(
        help: "Also write rows of learners with no enterprise for the course, with an empty enterprise_customer_uuid.")
    public var keepUnattributed = false

    @Option(
        help: ArgumentHelp(
            "Longest gap between consecutive events that counts whole (such as 30m).", valueName: "duration"))
    public var idleTimeout = DurationArgument(seconds: 30 * 60)

    @Option(
        help: "What a longer gap counts: drop (0, the session ended) or truncate (the idle timeout).",
        completion: .list(GapPolicy.allCases.map(\.rawValue)))
    public var gapPolicy: GapPolicy = .drop

    @Option(
        help: ArgumentHelp(
            "Event names that are not learner activity, as a glob such as 'edx.video.*'; repeatable.",
            valueName: "pattern"))
    public var exclude: [String] = []

    @Flag(help: "When context.course_id is empty, take the course from the URL (context.path, page, event_type).")
    public var courseFromUrl = false

    @Option(
        help: "Output format: ndjson or csv (with a header).",
        completion: .list(RollupFormat.allCases.map(\.rawValue)))
    public var format: RollupFormat = .ndjson

    @Option(
        help: ArgumentHelp(
            "Write the rows into this warehouse instead of standard output, replacing the days the logs cover: "
                + "sqlite:PATH, postgres://USER@HOST:PORT/DB or a libpq conninfo. Passwords belong in PGPASSWORD "
                + "or ~/.pgpass, not here.",
            valueName: "warehouse"))
    public var into: String?

    @OptionGroup public var columns: TableArguments

    @Flag(help: "Exit 1 when any line was malformed (not JSON, no time, an unreadable time, too long).")
    public var strict = false

    @Flag(name: [.short, .long], help: "Say less on standard error: errors only, no summary.")
    public var quiet = false

    @Option(
        help: "Diagnostics format on standard error: human or json (one object per event).",
        completion: .list(LogFormat.allCases.map(\.rawValue)))
    public var logFormat: LogFormat = .human

    public init() {}

    /// The inputs in order, standard input when none is named.
    public var paths: [String] { files.isEmpty ? ["-"] : files }

    public func validate() throws {
        guard idleTimeout.seconds > 0 else { throw ValidationError("--idle-timeout must be positive") }
        guard idleTimeout.seconds <= 7 * 86_400 else { throw ValidationError("--idle-timeout must be at most 7 days") }
        if into != nil && format != .ndjson {
            throw ValidationError("--format does not go with --into: the rows go into the warehouse")
        }
    }

    /// The rule these options set.
    public var rule: RollupRule {
        var rule = RollupRule()
        rule.idleTimeout = Int64((idleTimeout.seconds * Double(EventTime.microsecondsPerSecond)).rounded())
        rule.gapPolicy = gapPolicy
        rule.excludedPatterns = exclude
        rule.courseFromURL = courseFromUrl
        return rule
    }

    /// The run's diagnostics, with its format and level set up.
    public func diagnostics(tool: String) -> Diagnostics {
        let d = Diagnostics(tool: tool, threshold: quiet ? .error : .warning)
        d.format = logFormat
        return d
    }
}
