import ArgumentParser
import Foundation
import Shared

@main
struct LtQuery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-query",
        abstract: "Look up learners' total learning time for webhook payloads.",
        discussion: """
            Reads NDJSON (webhook payloads or lt envelopes) and writes one envelope per input line, \
            in input order, with a "lookup" member: status (found, not_found, unavailable, skipped, \
            invalid), total_seconds, last_updated and source (cache or warehouse). Lines that are not \
            JSON objects become error records that flow on. Keys are answered from the file cache, \
            then from the warehouse in batches.

            Example:
              lt-query --warehouse sqlite:warehouse.db --flag on < completions.ndjson | lt-enrich | lt-send --url https://…
              lt-query --warehouse sqlite:warehouse.db --user 12345 --course course-v1:edX+DemoX+Demo_Course --enterprise <uuid>

            Exit status: 0 when every line was handled, 1 when any line was not, 2 for configuration errors.
            """,
        version: LTVersion.current)

    @OptionGroup var io: InputOptions

    @Option(help: "Warehouse address: sqlite:PATH, postgres://USER@HOST:PORT/DB or a libpq conninfo. Default: $LT_WAREHOUSE. Passwords belong in PGPASSWORD or ~/.pgpass, not here.")
    var warehouse: String?

    @Option(help: "Table holding daily learning time.") var table = TableSpec().table
    @Option(help: "Column with the learner's user id.") var userColumn = TableSpec().userColumn
    @Option(help: "Column with the course run key (the deployed upstream table calls it COURSERUN_KEY).") var courseColumn = TableSpec().courseColumn
    @Option(help: "Column with the enterprise customer UUID.") var enterpriseColumn = TableSpec().enterpriseColumn
    @Option(help: "Column with the day's learning time in seconds.") var secondsColumn = TableSpec().secondsColumn

    @Option(help: "Most distinct uncached keys per warehouse round trip.") var batchSize = LookupOptions().batchSize
    @Option(help: "Longest a key waits for its batch to fill (such as 20ms).") var batchWindow = "20ms"
    @Option(help: "Further attempts of a failed batch before its lines are marked unavailable.") var retries = LookupOptions().retries
    @Option(help: "Delay before the first retry (doubled for each further one, with jitter).") var retryDelay = "200ms"
    @Option(help: "How long the warehouse is left alone after a batch used up its retries.") var breakerCooldown = "30s"

    @Option(help: "Cache folder. Default: $LT_CACHE_DIR, else $XDG_CACHE_HOME/lt, else ~/.cache/lt.") var cacheDir: String?
    @Flag(help: "Do not read or write the cache.") var noCache = false
    @Option(help: "How long a found value stays cached.") var ttl = "3600s"
    @Option(help: "How long a 'no data' result stays cached.") var negativeTtl = "3600s"

    @Option(help: "Enrichment flag, on or off; overrides $\(EnrichmentFlag.environmentVariable). Lines it turns off are marked skipped and not looked up.")
    var flag: String?

    @Option(help: "Ad-hoc lookup: the learner's user id.") var user: Int64?
    @Option(help: "Ad-hoc lookup: the course run key.") var course: String?
    @Option(help: "Ad-hoc lookup: the enterprise customer UUID.") var enterprise: String?
    @Flag(help: "Print the SQL and bound values that would run for the ad-hoc key, without running it.") var explain = false

    func validate() throws {
        let adHoc = [user != nil, course != nil, enterprise != nil]
        if adHoc.contains(true) && adHoc.contains(false) {
            throw ValidationError("--user, --course and --enterprise go together")
        }
        if explain && user == nil { throw ValidationError("--explain needs --user, --course and --enterprise") }
        if batchSize < 1 || batchSize > 10_000 { throw ValidationError("--batch-size must be from 1 to 10000") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
    }

    func run() throws {
        let diagnostics = io.diagnostics(tool: "lt-query")
        let env = ProcessInfo.processInfo.environment
        try ToolRun.run(diagnostics) {
            var spec = TableSpec()
            spec.table = table
            spec.userColumn = userColumn
            spec.courseColumn = courseColumn
            spec.enterpriseColumn = enterpriseColumn
            spec.secondsColumn = secondsColumn
            try spec.validate()
            var options = LookupOptions()
            options.batchSize = batchSize
            options.batchWindow = try DurationText.parse(batchWindow, option: "--batch-window")
            options.retries = retries
            options.retryDelay = try DurationText.parse(retryDelay, option: "--retry-delay")
            options.breakerCooldown = try DurationText.parse(breakerCooldown, option: "--breaker-cooldown")
            let address = try WarehouseAddress.resolve(option: warehouse, environment: env)
            _ = try WarehouseAddress.kind(of: address)
            let cache = noCache ? nil : LookupCache(
                directory: CacheLocation.directory(option: cacheDir, environment: env),
                ttl: try DurationText.parse(ttl, option: "--ttl"),
                negativeTTL: try DurationText.parse(negativeTtl, option: "--negative-ttl"),
                diagnostics: diagnostics)
            let flagSetting = try EnrichmentFlag.resolve(option: flag, environment: env)
            let output = OutputWriter.standardOutput()

            if let user, let course, let enterprise {
                let key = try LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "command-line")
                if explain {
                    let w = try WarehouseAddress.open(address, spec: spec)
                    try output.write(w.explain([key]))
                    try output.flush()
                    return
                }
                let adHoc = AdHocLookup(address: address, spec: spec, cache: cache, options: options, diagnostics: diagnostics)
                try output.write(try adHoc.record(for: key))
                try output.endLine()
                try output.flush()
                return
            }

            // A bad address or a missing table is fatal at start-up; a warehouse that is down is not.
            var opened: Warehouse?
            do { opened = try WarehouseAddress.open(address, spec: spec) } catch let e as WarehouseError {
                if e.exitCode == 2 { throw e }
                diagnostics.warning("\(e.description); lookups will be retried as lines arrive")
            }
            let pipeline = LookupPipeline(
                warehouse: { if let w = opened { return w }; opened = try WarehouseAddress.open(address, spec: spec); return opened! },
                cache: cache, flag: flagSetting, options: options, diagnostics: diagnostics, output: output)
            defer { if io.stats { diagnostics.raw(pipeline.stats.summary()) } }
            try ToolRun.forEachInput(io.paths, diagnostics) { try pipeline.run($0) }
        }
    }
}
