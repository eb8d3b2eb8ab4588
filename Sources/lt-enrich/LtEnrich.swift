import ArgumentParser
import Foundation
import Shared

@main
struct LtEnrich: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-enrich",
        abstract: "Merge looked-up learning time into course-completion payloads.",
        discussion: """
            Reads lt-query's envelopes and writes one envelope per input line, in input order. A course \
            completion whose lookup is found with a positive total gets "learning_time" \
            {total_seconds, total_hours, last_updated} spliced into its payload; every other byte of the \
            payload is kept as it came. Enrichment is off unless --flag on or \
            ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT=true. Error records pass through.

            Example:
              lt-query --flag on < completions.ndjson | lt-enrich --flag on | lt-send --integrations integrations.toml

            Exit status: 0 when every line was handled, 1 when any line was not, 2 for configuration errors.
            """,
        version: LTVersion.current)

    @OptionGroup var io: InputOptions

    @Option(help: "Enrichment flag, on or off; overrides $\(EnrichmentFlag.environmentVariable) (default off).")
    var flag: String?

    @Option(help: "Where the value goes in the payload, as a dotted path (upstream uses completion.learning_time).")
    var field = "learning_time"

    @Option(help: "What is written: object ({total_seconds, total_hours, last_updated}) or seconds (an integer).")
    var format = "object"

    @Flag(help: "Turn lines whose lookup is unavailable into error records instead of sending them without learning time.")
    var requireLearningTime = false

    @Flag(help: "Write bare payloads instead of envelopes.")
    var unwrap = false

    func run() throws {
        let diagnostics = io.diagnostics(tool: "lt-enrich")
        try ToolRun.run(diagnostics) {
            var options = EnrichOptions()
            options.field = try EnrichOptions.parseField(field)
            guard let f = EnrichOptions.Format(rawValue: format) else {
                throw ConfigError("--format \(format) is not object or seconds")
            }
            options.format = f
            options.requireLearningTime = requireLearningTime
            options.unwrap = unwrap
            let flagSetting = try EnrichmentFlag.resolve(option: flag, environment: ProcessInfo.processInfo.environment)
            let enricher = Enricher(flag: flagSetting, options: options, diagnostics: diagnostics, output: OutputWriter.standardOutput())
            defer { if io.stats { diagnostics.raw(enricher.stats.summary()) } }
            try ToolRun.forEachInput(io.paths, diagnostics) { try enricher.run($0) }
        }
    }
}
