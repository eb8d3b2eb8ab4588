import ArgumentParser

/// Options every tool shares: its inputs and how much it says.
public struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("NDJSON files to read, in order; '-' or none means standard input.", valueName: "file"))
    public var files: [String] = []

    @Flag(name: .long, help: "Print a summary of the run on standard error at the end.")
    public var stats = false

    @Flag(name: [.short, .long], help: "Say less on standard error: errors only.")
    public var quiet = false

    @Flag(name: [.short, .long], help: "Say more on standard error: one line per lookup or delivery.")
    public var verbose = false

    public init() {}

    /// The inputs in order, standard input when none is named.
    public var paths: [String] { files.isEmpty ? ["-"] : files }

    public func diagnostics(tool: String) -> Diagnostics {
        Diagnostics(tool: tool, threshold: quiet ? .error : verbose ? .info : .warning)
    }
}
