import ArgumentParser
import LTCommandLine
import Shared

struct LtRollup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-rollup",
        abstract: "Compute the LEARNING_TIME table from Open edX tracking logs.",
        discussion: """
            Reads tracking-log lines (one JSON object per line, or Tutor's logging prefix before it; plain \
            or gzip), sorts each learner's events in each course by time across all inputs, and sums the \
            gaps between consecutive events per UTC day: a gap up to --idle-timeout counts whole, a longer \
            one counts 0 (--gap-policy drop) or the timeout (truncate). Task events and grading, \
            certificate and enrollment events do not count; neither do events without a user or a course. \
            docs/rollup.md states the rule in full.

            Rows {user_id, course_key, enterprise_customer_uuid, date, learning_time_seconds} go to \
            standard output sorted by those keys (NDJSON, or CSV with --format csv), or with --into into the \
            warehouse's table, replacing the rows of every day the logs cover in one transaction. The \
            enterprise comes from --enterprises; rows without one are left out unless --keep-unattributed.

            Lines skipped are counted by reason, with their first locations, in a summary on standard error.

            Examples:
              lt-rollup --enterprises enterprises.csv \\
                --into sqlite:warehouse.db tracking.log-2026*.gz
              lt-rollup --enterprises enterprises.csv --format csv \\
                lms1/tracking.log lms2/tracking.log.gz

            Exit status: 0 when the rollup was computed, 1 with --strict when any line was malformed, \
            2 for configuration errors, 64 for usage errors, 74 when a file or stream cannot be read or \
            written.
            """,
        version: LTVersion.report(tool: "lt-rollup"))

    @OptionGroup var options: RollupArguments

    func run() throws {
        let diagnostics = options.diagnostics(tool: "lt-rollup")
        try ToolRun.run(diagnostics) {
            let spec = try options.columns.tableSpec()
            let enterprises = try options.enterprises.map(EnterpriseEnrollments.load) ?? EnterpriseEnrollments()
            let table = try options.into.map { try RollupTables.open($0, spec: spec) }
            let rollup = LearningTimeRollup(rule: options.rule)
            // Rows over part of the inputs would be wrong totals, and with --into would replace whole
            // days: an input that cannot be opened or read to its end stops the run before anything
            // is written (exit 74), unlike the line filters, which go on to the next input.
            let unopenable = TrackingLogReader.unopenable(options.paths)
            for e in unopenable.dropLast() { diagnostics.error(e) }
            if let last = unopenable.last { throw last }
            for path in options.paths { try rollup.read(TrackingLogReader(path: path)) }
            let result = rollup.finish(enterprises: enterprises, keepUnattributed: options.keepUnattributed)
            if let table {
                let written = try table.replace(days: result.days, with: result.rows)
                summarize(rollup, result, diagnostics, written: written)
            } else {
                summarize(rollup, result, diagnostics, written: nil)
                try RollupRowWriter(format: options.format, output: OutputWriter.standardOutput()).write(result.rows)
            }
        }
    }

    /// The summary on standard error: what was read and written, and the lines skipped by reason.
    private func summarize(_ rollup: LearningTimeRollup, _ result: RollupResult, _ d: Diagnostics, written: Int?) {
        let tally = rollup.tally
        if !options.quiet {
            var text = "lt-rollup: \(rollup.lines) lines, \(result.events) events counted in \(result.streams) "
            text += "learner-course streams over \(result.days.count) days; \(result.rows.count) rows"
            if let written { text += " (\(written) written into \(options.into.map(WarehouseAddress.redacted) ?? ""))" }
            if result.unattributedRows > 0 {
                text +=
                    "; \(result.unattributedRows) day rows without an enterprise left out (--keep-unattributed keeps them)"
            }
            d.raw(text)
            for line in tally.lines { d.raw("lt-rollup: skipped \(line)") }
        }
        if written != nil && !result.days.isEmpty {
            // Not refused: recomputing a day is what a run does (docs/rollup.md); but a run over one
            // host's file, or a late event pulling in an earlier day, silently loses the rest of the
            // day, so every run says which days it replaced.
            let days = result.days.prefix(5).map(EventTime.dateText(day:)).joined(separator: ", ")
            let more = result.days.count > 5 ? " and \(result.days.count - 5) more" : ""
            d.warning(
                "replaced every row of \(days)\(more) (UTC days with events in these logs) with this run's rows",
                hint:
                    "each of those days now holds only what these logs gave: run over every host's logs of a day at once"
            )
        }
        let malformed = tally.malformed
        if malformed > 0 && options.strict {
            d.error(
                "\(malformed) malformed lines (--strict)",
                hint: "the summary above says where; fix the logs or run without --strict to skip them")
        }
    }
}
