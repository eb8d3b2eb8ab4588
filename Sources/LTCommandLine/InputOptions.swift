import ArgumentParser
import FoundationEssentials
import Shared

/// Options every tool shares: its inputs, how much it says and how, progress and metrics.
public struct InputOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp("NDJSON files to read, in order; '-' or none means standard input.", valueName: "file"),
        completion: .file())
    public var files: [String] = []

    @Flag(name: .long, help: "Print a summary of the run on standard error at the end (--stats=json for JSON).")
    public var stats = false

    @Option(
        name: .long, help: ArgumentHelp("Summary format: text or json.", visibility: .hidden),
        completion: .list(StatsFormat.allCases.map(\.rawValue)))
    public var statsFormat: StatsFormat = .text

    @Flag(name: [.short, .long], help: "Say less on standard error: errors only.")
    public var quiet = false

    @Flag(name: [.short, .long], help: "Say more on standard error: one line per lookup or delivery.")
    public var verbose = false

    @Option(
        help: ArgumentHelp(
            "With --stats, also print the summary this often during the run (such as 10s).",
            valueName: "duration"))
    public var statsInterval: DurationArgument?

    @Option(
        help: "Diagnostics format on standard error: human or json (one object per event).",
        completion: .list(LogFormat.allCases.map(\.rawValue)))
    public var logFormat: LogFormat = .human

    @Option(
        help: "Least severe diagnostics shown: debug, info, warning or error.",
        completion: .list(DiagnosticLevel.allCases.map(\.name)))
    public var logLevel: DiagnosticLevel?

    @Flag(help: "No live progress line, even when standard error is a terminal.")
    public var noProgress = false

    @Option(
        help:
            "Send DogStatsD metrics over UDP to statsd://HOST:PORT. Default: $LT_METRICS, else $DD_AGENT_HOST:$DD_DOGSTATSD_PORT."
    )
    public var metrics: String?

    @Option(
        help: ArgumentHelp(
            "Tag every metric with key:value (DogStatsD tag, Prometheus label); repeatable. Keys lt sets "
                + "(integration, le, reason, status, tool) are refused.", valueName: "key:value"))
    public var metricsTag: [String] = []

    @Option(
        help:
            "Write metrics in the Prometheus text format to this file (atomically), for node_exporter's textfile collector.",
        completion: .file())
    public var metricsFile: String?

    @Option(help: ArgumentHelp("How often the metrics file is rewritten during a run.", valueName: "duration"))
    public var metricsInterval = DurationArgument(seconds: 15)

    public init() {}

    /// The summary formats of `--stats`.
    public enum StatsFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
        case text, json
    }

    /// The inputs in order, standard input when none is named.
    public var paths: [String] { files.isEmpty ? ["-"] : files }

    public func validate() throws {
        // $LT_METRICS is checked in metrics(tool:diagnostics:): a bad environment is a configuration
        // error (exit 2), not a mistake in the command line.
        if let m = metrics, !m.isEmpty, !m.hasPrefix("statsd://") {
            throw ValidationError("--metrics must be statsd://HOST:PORT")
        }
        for tag in metricsTag {
            do { _ = try MetricsSettings.parseTag(tag, from: "--metrics-tag") } catch let e as LTError {
                throw ValidationError(e.description)
            }
        }
        if metricsInterval.seconds <= 0 { throw ValidationError("--metrics-interval must be positive") }
        if let statsInterval, statsInterval.seconds <= 0 { throw ValidationError("--stats-interval must be positive") }
    }

    /// The run's diagnostics, with its format, level and progress line set up.
    /// A line filter's run: its diagnostics and metrics made from these options, then `body` under
    /// ``ToolRun/run(_:metrics:_:)``, which decides the exit status.
    public func run(tool: String, _ body: (Diagnostics, Metrics) throws -> Void) throws {
        let diagnostics = diagnostics(tool: tool)
        let metrics = try ToolRun.setUp(diagnostics) { try self.metrics(tool: tool, diagnostics: diagnostics) }
        try ToolRun.run(diagnostics, metrics: metrics) { try body(diagnostics, metrics) }
    }

    public func diagnostics(tool: String) -> Diagnostics {
        let env = ProcessInfo.processInfo.environment
        let level = logLevel ?? (quiet ? .error : verbose ? .info : .warning)
        let d = Diagnostics(tool: tool, threshold: level)
        d.format = logFormat
        d.hooks.line = ProgressLine.make(tool: tool, wanted: !noProgress && logFormat == .human, environment: env)
        return d
    }

    /// The run's metrics sink, as the options and the environment (`LT_METRICS`, `DD_*`) ask. Throws a
    /// ``ConfigError`` when `LT_METRICS` is not a `statsd://` address; other problems turn metrics off
    /// with a warning. A `DD_TAGS` key lt sets itself is a ``ConfigError`` too (exit 2; a
    /// `--metrics-tag` one is exit 64, from ``validate()``).
    public func metrics(tool: String, diagnostics: Diagnostics) throws -> Metrics {
        let environment = ProcessInfo.processInfo.environment
        if metrics == nil, let m = environment["LT_METRICS"], !m.isEmpty, !m.hasPrefix("statsd://") {
            // The value is not repeated: a variable set by mistake may hold anything.
            throw ConfigError(
                "LT_METRICS is not a statsd://HOST:PORT address",
                hint: "set it to the DogStatsD agent, such as statsd://127.0.0.1:8125, or unset it")
        }
        try MetricsSettings.refuseReservedKeys(environment: environment)
        do {
            let settings = try MetricsSettings.resolve(
                statsd: metrics, file: metricsFile, interval: metricsInterval.seconds,
                tags: metricsTag, environment: environment)
            for problem in settings.ignored { diagnostics.warning("\(problem); the tag is left out") }
            return Metrics.make(tool: tool, settings: settings, diagnostics: diagnostics)
        } catch {
            diagnostics.warning("metrics are off: \(error)")
            return Metrics(tool: tool)
        }
    }
}

extension InputOptions {
    /// The command line with `--stats=json` and `--stats=text`, and lt-send's `--resend-changed=MIN`,
    /// spelled as the parser reads them (an option whose value may be left out).
    public static func normalized(_ arguments: [String]) -> [String] {
        arguments.flatMap { arg -> [String] in
            if arg.hasPrefix("--stats=") {
                return ["--stats", "--stats-format", String(arg.dropFirst("--stats=".count))]
            }
            if arg.hasPrefix("--resend-changed=") {
                return ["--resend-changed", "--resend-changed-min", String(arg.dropFirst("--resend-changed=".count))]
            }
            return [arg]
        }
    }
}
