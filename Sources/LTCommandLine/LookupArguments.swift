import ArgumentParser
import Shared

/// lt-query's batching and retry options; ``lookupOptions()`` turns them into the core's settings,
/// whose defaults (`LookupOptions()`) are declared once there.
public struct LookupArguments: ParsableArguments {
    private static let defaults = LookupOptions()

    @Option(
        help: """
            Most distinct uncached keys per warehouse statement; a burst of keys is spread evenly over \
            the free statement slots up to this many each (2000 keeps a Snowflake request under 1 MB).
            """)
    public var batchSize = defaults.batchSize
    @Option(
        help: """
            Most batch statements running on the warehouse at once (Snowflake statements, or PostgreSQL \
            queries pipelined on one connection); lines stay in input order.
            """)
    public var maxStatements = defaults.maxStatements
    @Option(help: ArgumentHelp("Longest a key waits for its batch to fill.", valueName: "duration"))
    public var batchWindow = DurationArgument(seconds: defaults.batchWindow)
    @Option(help: "Further attempts of a failed batch before its lines are marked unavailable.")
    public var retries = defaults.retries
    @Option(
        help: ArgumentHelp(
            "Delay before the first retry (doubled for each further one, with jitter).", valueName: "duration"))
    public var retryDelay = DurationArgument(seconds: defaults.retryDelay)
    @Option(
        help: ArgumentHelp(
            "How long the warehouse is left alone after a batch used up its retries; then one probe batch decides.",
            valueName: "duration"))
    public var breakerCooldown = DurationArgument(seconds: defaults.breakerCooldown)
    @Option(
        help: ArgumentHelp(
            "Longest a PostgreSQL query may run before the server cancels it; with no answer at all after "
                + "half as long again (at least 1s more), lt-query drops the connection.",
            valueName: "duration"))
    public var statementTimeout = DurationArgument(seconds: WarehouseAddress.defaultStatementTimeout)
    @Option(
        help: ArgumentHelp(
            "What a found total's last_updated says: read (the UTC day it was read from the warehouse, as the "
                + "specification's sample code does) or rows (the day after the latest DATE among the rows summed, "
                + "so that a stale total can be told from a fresh one; the column is --date-column).",
            valueName: "rule"))
    public var lastUpdated = defaults.lastUpdated

    public init() {}

    public func validate() throws {
        if batchSize < 1 || batchSize > 10_000 { throw ValidationError("--batch-size must be from 1 to 10000") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
        if maxStatements < 1 || maxStatements > 64 {
            throw ValidationError("--max-statements must be from 1 to 64")
        }
    }

    public func lookupOptions() -> LookupOptions {
        var options = LookupOptions()
        options.batchSize = batchSize
        options.maxStatements = maxStatements
        options.batchWindow = batchWindow.seconds
        options.retries = retries
        options.retryDelay = retryDelay.seconds
        options.breakerCooldown = breakerCooldown.seconds
        options.lastUpdated = lastUpdated
        return options
    }
}
