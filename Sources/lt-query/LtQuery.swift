import ArgumentParser
import Foundation
import Shared

@main
struct LtQuery: ParsableCommand {
    /// Parses `--stats=json` too, which the parser cannot take as an optional value.
    static func main() { main(InputOptions.normalized(Array(CommandLine.arguments.dropFirst()))) }

    static let configuration = CommandConfiguration(
        commandName: "lt-query",
        abstract: "Look up learners' total learning time for webhook payloads.",
        discussion: """
            Reads NDJSON (webhook payloads or lt envelopes) and writes one envelope per input line, \
            in input order, with a "lookup" member: status (found, not_found, unavailable, skipped, \
            invalid), total_seconds, last_updated and source (cache or warehouse). Lines that are not \
            JSON objects become error records that flow on. Keys are answered from the file cache, \
            then from the warehouse in batches.

            Course completions are payloads with a "completion" object or "event_type": \
            "course_completion", or any payload in an envelope with "event": "course_completion" and \
            the lookup "key" (for payloads of other shapes, such as Percipio's). A line that repeats a \
            member deciding its lookup (user.id, course.course_id, key, payload, …) is not looked up: \
            its lookup is invalid.

            Warehouses: sqlite:PATH (read-only), or PostgreSQL and compatible engines through libpq \
            (postgres://…, postgresql://… or a conninfo such as 'host=db dbname=analytics'), so PG* \
            variables, ~/.pgpass, service= and sslmode work as for psql.

            The cache (one SQLite file in the cache folder, shared safely by concurrent runs) is \
            maintained with: --cache-show KEY (repeatable; KEY is learning_time:USER:COURSE:ENTERPRISE), \
            --cache-stats, and --cache-purge expired|all. These print JSON lines and read no input.

            Example:
              lt-query --warehouse sqlite:warehouse.db --flag on < completions.ndjson | lt-enrich | lt-send --url https://…
              LT_WAREHOUSE='host=db.internal dbname=analytics' lt-query --table BI.LEARNING_TIME --stats < completions.ndjson
              lt-query --warehouse sqlite:warehouse.db --user 12345 --course course-v1:edX+DemoX+Demo_Course --enterprise <uuid>
              lt-query --cache-show learning_time:12345:course-v1:edX+DemoX+Demo_Course:a1b2c3d4-e5f6-7890-abcd-ef1234567890

            Exit status: 0 when every line was handled, 1 when any line was not, 2 for configuration \
            errors. A warehouse that cannot work as configured (failed login, missing database, table, \
            column or grant) is one: it is checked at start-up, before any line is written; met mid-run, \
            it ends lt-query with no further line. A warehouse that is down is not: its lines are \
            retried, then marked unavailable.
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
    @Option(help: """
        Most batch statements running on the warehouse at once (Snowflake statements, or PostgreSQL queries \
        pipelined on one connection); lines stay in input order.
        """)
    var maxStatements = LookupOptions().maxStatements
    @Option(help: "Longest a key waits for its batch to fill (such as 20ms).") var batchWindow = "20ms"
    @Option(help: "Further attempts of a failed batch before its lines are marked unavailable.") var retries = LookupOptions().retries
    @Option(help: "Delay before the first retry (doubled for each further one, with jitter).") var retryDelay = "200ms"
    @Option(help: "How long the warehouse is left alone after a batch used up its retries; then one probe batch decides.") var breakerCooldown = "30s"
    @Option(help: "Longest a PostgreSQL query may run before the server cancels it; with no answer at all after half as long again (at least 1s more), lt-query drops the connection.") var statementTimeout = "30s"

    @Option(help: "Cache folder. Default: $LT_CACHE_DIR, else $XDG_CACHE_HOME/lt, else ~/.cache/lt.") var cacheDir: String?
    @Flag(help: "Do not read or write the cache.") var noCache = false
    @Option(help: "How long a found value stays cached.") var ttl = "3600s"
    @Option(help: "How long a 'no data' result stays cached.") var negativeTtl = "3600s"
    @Option(help: ArgumentHelp("Print what the cache holds for KEY (learning_time:USER:COURSE:ENTERPRISE) and exit; repeatable.", valueName: "key"))
    var cacheShow: [String] = []
    @Flag(help: "Print the cache's entry counts and size and exit.") var cacheStats = false
    @Option(help: ArgumentHelp("Delete expired entries, or all entries, from the cache and exit.", valueName: "expired|all"))
    var cachePurge: String?

    @OptionGroup var flagOptions: FlagOptions

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
        if maxStatements < 1 || maxStatements > 64 { throw ValidationError("--max-statements must be from 1 to 64") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
        if let p = cachePurge, p != "expired" && p != "all" { throw ValidationError("--cache-purge takes expired or all") }
        let maintenance = [!cacheShow.isEmpty, cacheStats, cachePurge != nil].filter { $0 }.count
        if maintenance > 1 { throw ValidationError("use one of --cache-show, --cache-stats and --cache-purge at a time") }
        if maintenance == 1 && (noCache || user != nil) { throw ValidationError("cache maintenance does not go with --no-cache or an ad-hoc lookup") }
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
            options.maxStatements = maxStatements
            options.batchWindow = try DurationText.parse(batchWindow, option: "--batch-window")
            options.retries = retries
            options.retryDelay = try DurationText.parse(retryDelay, option: "--retry-delay")
            options.breakerCooldown = try DurationText.parse(breakerCooldown, option: "--breaker-cooldown")
            let timeout = try DurationText.parse(statementTimeout, option: "--statement-timeout")
            let cache = noCache ? nil : LookupCache(
                directory: CacheLocation.directory(option: cacheDir, environment: env),
                ttl: try DurationText.parse(ttl, option: "--ttl"),
                negativeTTL: try DurationText.parse(negativeTtl, option: "--negative-ttl"),
                diagnostics: diagnostics)
            let output = OutputWriter.standardOutput()

            if let cache, !cacheShow.isEmpty || cacheStats || cachePurge != nil {
                let maintenance = CacheMaintenance(cache: cache)
                let now = Timestamps.now()
                if cacheStats { try output.write(try maintenance.stats(now: now)) }
                if let p = cachePurge { try output.write(try maintenance.purge(all: p == "all", now: now)) }
                if !cacheShow.isEmpty { try output.write(maintenance.show(try cacheShow.map(CacheMaintenance.key), now: now)) }
                try output.flush()
                return
            }

            let address = try WarehouseAddress.resolve(option: warehouse, environment: env)
            _ = try WarehouseAddress.kind(of: address)
            let flagSetting = try flagOptions.resolve(environment: env, diagnostics: diagnostics)

            if let user, let course, let enterprise {
                let key = try LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "command-line")
                let w = try WarehouseAddress.open(address, spec: spec, statementTimeout: timeout)
                if explain {
                    try output.write(w.explain([key]))
                    try output.flush()
                    return
                }
                let resolver = LookupResolver(warehouse: w, store: cache, options: options, diagnostics: diagnostics)
                let adHoc = AdHocLookup(resolver: resolver)
                try output.write(try adHoc.record(for: key))
                try output.endLine()
                try output.flush()
                return
            }

            // A configuration that cannot work (bad address, failed login, missing database, table,
            // column or grant) is fatal before any line is written; a warehouse that is down is not.
            let w = try WarehouseAddress.open(address, spec: spec, statementTimeout: timeout)
            do { try w.verify() } catch let e as WarehouseError where !e.isPermanent {
                diagnostics.warning("\(e.description); lookups will be retried as lines arrive")
            }
            let resolver = LookupResolver(warehouse: w, store: cache, options: options, diagnostics: diagnostics)
            let pipeline = LookupPipeline(resolver: resolver, flag: flagSetting, options: options,
                                          diagnostics: diagnostics, output: output)
            defer { io.report(pipeline.stats, diagnostics) }
            io.reportPeriodically(diagnostics) { pipeline.stats }
            try ToolRun.forEachInput(io.paths, diagnostics) { try pipeline.run($0) }
        }
    }
}
