import ArgumentParser
import FoundationEssentials

/// Options every tool shares: its inputs, how much it says and how, progress and metrics.
public struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("NDJSON files to read, in order; '-' or none means standard input.", valueName: "file"), completion: .file())
    public var files: [String] = []

    @Flag(name: .long, help: "Print a summary of the run on standard error at the end (--stats=json for JSON).")
    public var stats = false

    @Option(name: .long, help: ArgumentHelp("Summary format: text or json.", visibility: .hidden))
    public var statsFormat: StatsFormat = .text

    @Flag(name: [.short, .long], help: "Say less on standard error: errors only.")
    public var quiet = false

    @Flag(name: [.short, .long], help: "Say more on standard error: one line per lookup or delivery.")
    public var verbose = false

    @Option(help: "With --stats, also print the summary every this many seconds during the run.")
    public var statsInterval: Double?

    @Option(help: "Diagnostics format on standard error: human or json (one object per event).")
    public var logFormat: LogFormat = .human

    @Option(help: "Least severe diagnostics shown: debug, info, warning or error.")
    public var logLevel: DiagnosticLevel?

    @Flag(help: "No live progress line, even when standard error is a terminal.")
    public var noProgress = false

    @Option(help: "Send DogStatsD metrics over UDP to statsd://HOST:PORT. Default: $LT_METRICS.")
    public var metrics: String?

    @Option(help: "Write metrics in the Prometheus text format to this file (atomically), for node_exporter's textfile collector.", completion: .file())
    public var metricsFile: String?

    @Option(help: "How often the metrics file is rewritten during a run, in seconds.")
    public var metricsInterval: Double = 15

    public init() {}

    /// The summary formats of `--stats`.
    public enum StatsFormat: String, ExpressibleByArgument, Sendable {
        case text, json
    }

    /// The inputs in order, standard input when none is named.
    public var paths: [String] { files.isEmpty ? ["-"] : files }

    public func validate() throws {
        if let m = metrics ?? ProcessInfo.processInfo.environment["LT_METRICS"], !m.isEmpty, !m.hasPrefix("statsd://") {
            throw ValidationError("--metrics must be statsd://HOST:PORT")
        }
        if metricsInterval <= 0 { throw ValidationError("--metrics-interval must be positive") }
        if let statsInterval, statsInterval <= 0 { throw ValidationError("--stats-interval must be positive") }
    }

    /// The run's diagnostics, with its format, level, progress line and metrics set up.
    public func diagnostics(tool: String) -> Diagnostics {
        let env = ProcessInfo.processInfo.environment
        let level = logLevel ?? (quiet ? .error : verbose ? .info : .warning)
        let d = Diagnostics(tool: tool, threshold: level)
        d.format = logFormat
        d.progress = ProgressLine.make(tool: tool, wanted: !noProgress && logFormat == .human, environment: env)
        let statsd = metrics ?? env["LT_METRICS"].flatMap { $0.isEmpty ? nil : $0 }
        if statsd != nil || metricsFile != nil {
            do {
                try Metrics.shared.configure(statsd: statsd, file: metricsFile, interval: metricsInterval, diagnostics: d)
            } catch {
                d.warning("metrics are off: \(error)")
            }
        }
        return d
    }
}

extension LogFormat: ExpressibleByArgument {}

extension DiagnosticLevel: ExpressibleByArgument {
    /// The names, not the raw values, in help and completions.
    public static var allValueStrings: [String] { allCases.map(\.name) }
    public var defaultValueDescription: String { name }

    public init?(argument: String) {
        guard let level = DiagnosticLevel.allCases.first(where: { $0.name == argument.lowercased() }) else { return nil }
        self = level
    }
}

extension InputOptions {
    /// The command line with `--stats=json` and `--stats=text` spelled as the parser reads them.
    public static func normalized(_ arguments: [String]) -> [String] {
        arguments.flatMap { arg -> [String] in
            if arg.hasPrefix("--stats=") { return ["--stats", "--stats-format", String(arg.dropFirst("--stats=".count))] }
            return [arg]
        }
    }
}
