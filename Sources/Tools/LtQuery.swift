import ArgumentParser
import FoundationEssentials
import LTCommandLine
import Shared

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

            Warehouses: sqlite:PATH (read-only), or PostgreSQL and compatible engines through libpq \
            (postgres://…, postgresql://… or a conninfo such as 'host=db dbname=analytics'), so PG* \
            variables, ~/.pgpass, service= and sslmode work as for psql, or Snowflake through its SQL API \
            (snowflake://ACCOUNT/DB/SCHEMA?user=…&warehouse=…, key-pair authentication with the key in \
            SNOWFLAKE_PRIVATE_KEY_PATH; docs/snowflake.md).

            The cache (--cache file:DIR, one SQLite file shared safely by concurrent runs, the default) \
            keeps each warehouse's answers apart (by kind, host, database, table and columns). It is \
            maintained with: --cache-show KEY (repeatable; KEY is learning_time:USER:COURSE:ENTERPRISE), \
            --cache-stats, and --cache-purge expired|all. These print JSON lines and read no input.

            An ad-hoc lookup (--user, --course, --enterprise) reads the warehouse, not the cache, and \
            prints what the cache holds beside the answer, with any difference; it writes the cache \
            only with --cache-write.

            Examples:
              lt-query --warehouse sqlite:warehouse.db --flag on < completions.ndjson \\
                | lt-enrich | lt-send --url https://…
              LT_WAREHOUSE='host=db.internal dbname=analytics' \\
                lt-query --table BI.LEARNING_TIME --stats < completions.ndjson
              lt-query --warehouse sqlite:warehouse.db --user 12345 \\
                --course course-v1:edX+DemoX+Demo_Course --enterprise <uuid>
              KEY=learning_time:12345:course-v1:edX+DemoX+Demo_Course:<uuid>
              lt-query --cache-show "$KEY"

            Course completions are payloads with a "completion" object or "event_type": \
            "course_completion", or any payload in an envelope with "event": "course_completion" and \
            the lookup "key" (for payloads of other shapes, such as Percipio's). A line that repeats a \
            member deciding its lookup (user.id, course.course_id, key, payload, …), or whose "key" \
            disagrees with the payload's own user.id, course.course_id or enterprise UUID, is not looked \
            up: its lookup is invalid. Enterprise UUIDs are compared in lower case; course keys exactly.

            Exit status: 0 when every line was handled, 1 when any line was not, 2 for configuration \
            errors, 64 for usage errors, 74 when a file or stream cannot be read or written. A warehouse \
            that cannot work as configured (failed login, missing database, table, column or grant) is a \
            configuration error: it is checked at start-up, before any line is written; met mid-run, it \
            ends lt-query with no further line. A warehouse that is down is not: its lines are retried, \
            then marked unavailable.
            """,
        version: LTVersion.report(tool: "lt-query"))

    @OptionGroup var io: InputOptions
    @OptionGroup var warehouse: WarehouseArguments
    @OptionGroup var lookup: LookupArguments
    @OptionGroup var cache: CacheArguments
    @OptionGroup var flagOptions: FlagOptions
    @OptionGroup var adHoc: AdHocArguments

    func validate() throws {
        if cache.cacheWrite && adHoc.user == nil {
            throw ValidationError("--cache-write goes with an ad-hoc lookup (--user, --course and --enterprise)")
        }
        if cache.isMaintenance && (cache.noCache || adHoc.user != nil) {
            throw ValidationError("cache maintenance does not go with --no-cache or an ad-hoc lookup")
        }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        try io.run(tool: "lt-query") { diagnostics, metrics in
            if let warning = warehouse.passwordWarning { diagnostics.warning(warning) }
            let spec = try warehouse.tableSpec(latestDate: lookup.lastUpdated == .rows)
            let store = try cache.store(environment: env, diagnostics: diagnostics)
            let output = OutputWriter.standardOutput()
            if let store, cache.isMaintenance {
                // With a warehouse named, its entries; without, every warehouse's.
                let namespace =
                    try warehouse.isGiven(environment: env)
                    ? CacheNamespace.of(warehouse: warehouse.address(environment: env), spec: spec, environment: env)
                    : nil
                return try cache.runMaintenance(on: store, namespace: namespace, output: output)
            }

            let address = try warehouse.address(environment: env)
            let namespace = try CacheNamespace.of(warehouse: address, spec: spec, environment: env)
            let flag = try flagOptions.resolve(environment: env, diagnostics: diagnostics)
            if let key = try adHoc.key() {
                let w = try WarehouseAddress.open(
                    address, spec: spec, statementTimeout: lookup.statementTimeout.seconds)
                // Ad-hoc lookups read the warehouse; the cache is shown beside it, written only when asked.
                let gate = store.map {
                    StoreGate(
                        $0, namespace: namespace, expiry: cache.expiry, origin: .adHoc, reads: false,
                        writes: cache.cacheWrite, diagnostics: diagnostics)
                }
                return try adHoc.run(
                    key, warehouse: w, cache: gate, options: lookup.lookupOptions(),
                    diagnostics: diagnostics, metrics: metrics, output: output)
            }

            if flag.isOffForAll {
                diagnostics.warning(
                    "enrichment is off (\(flag.origin)); completions are not looked up",
                    hint: "pass --flag on, or set ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT=true")
            }
            let w = try WarehouseAddress.open(address, spec: spec, statementTimeout: lookup.statementTimeout.seconds)
            let options = lookup.lookupOptions()
            let resolver = LookupResolver(
                warehouse: w,
                store: store.map {
                    StoreGate($0, namespace: namespace, expiry: cache.expiry, diagnostics: diagnostics)
                },
                options: options, diagnostics: diagnostics,
                metrics: metrics)
            let pipeline = LookupPipeline(
                resolver: resolver, flag: flag, options: options,
                diagnostics: diagnostics, metrics: metrics, output: output)
            defer { io.report(pipeline.stats, diagnostics) }
            io.reportPeriodically(diagnostics) { pipeline.stats }
            // A configuration that cannot work (bad address, failed login, missing database, table,
            // column or grant) is fatal before any line is written; a warehouse that is down is not.
            // The probe runs alongside the first batches, and output waits for its verdict.
            pipeline.startProbe()
            try ToolRun.forEachInput(io.paths, diagnostics) { try pipeline.run($0) }
        }
    }
}
