import ArgumentParser
import FoundationEssentials
import LTCommandLine
import Shared

struct LtEnrich: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-enrich",
        abstract: "Merge looked-up learning time into course-completion payloads.",
        discussion: """
            Reads lt-query's envelopes and writes one envelope per input line, in input order. A course \
            completion (a payload with a "completion" object, or "event_type": "course_completion", or \
            any payload in an envelope with "event": "course_completion") whose lookup is found with a \
            positive total gets "learning_time" {total_seconds, total_hours, last_updated} spliced into \
            its payload; every other byte of the payload is kept as it came, and "enrichment" says what \
            was done and why: the reason (not_completion, flag_off, no_lookup, not_found, unavailable, \
            skipped, invalid, zero_total), the flag's rule that decided, the lookup's status and source, \
            and the key (ids only); -v names the rule for each line. Error records pass through \
            unchanged. A line that repeats a member deciding its lookup, or whose envelope "key" disagrees \
            with the payload's own, is not enriched (reason invalid), and a payload whose target member \
            (--field) appears twice becomes an error record.

            Enrichment is off unless turned on, by the first of: --flag on|off, --rollout FILE, \
            $LT_ROLLOUT_FILE, $ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT. A rollout file is re-read when it \
            changes, so editing it takes effect within a second without a restart (docs/rollout.md).

            Examples:
              lt-query < completions.ndjson | lt-enrich --rollout rollout.json \\
                | lt-send …
              lt-enrich --flag on --field completion.learning_time --format seconds
              lt-query < examples/percipio.ndjson \\
                | lt-enrich --field duration_spent --format seconds --unwrap

            Exit status: 0 when every line was handled, 1 when any line was not, 2 for configuration \
            errors, 64 for usage errors, 74 when a file or stream cannot be read or written.
            """,
        version: LTVersion.report(tool: "lt-enrich"))

    @OptionGroup var io: InputOptions
    @OptionGroup var flagOptions: FlagOptions
    @OptionGroup var enrich: EnrichArguments

    func run() throws {
        try io.run(tool: "lt-enrich") { diagnostics, metrics in
            let flag = try flagOptions.resolve(
                environment: ProcessInfo.processInfo.environment, diagnostics: diagnostics)
            let enricher = Enricher(
                flag: flag, options: try enrich.enrichOptions(), diagnostics: diagnostics, metrics: metrics,
                output: OutputWriter.standardOutput())
            defer { io.report(enricher.stats, diagnostics) }
            io.reportPeriodically(diagnostics) { enricher.stats }
            try ToolRun.forEachInput(io.paths, diagnostics) { try enricher.run($0) }
        }
    }
}
