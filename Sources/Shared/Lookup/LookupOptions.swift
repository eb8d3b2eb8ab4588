/// How lt-query batches, retries and caches; defaults are the command line's.
public struct LookupOptions: Sendable {
    /// Most distinct uncached keys resolved in one warehouse round trip.
    public var batchSize = 500
    /// Longest a key waits for its batch to fill, in seconds, so a slow stream is not held back.
    public var batchWindow = 0.02
    /// Most batch statements running on the warehouse at once (Snowflake statements, or PostgreSQL
    /// queries in one pipelined connection); lines behind a running batch wait for it, in order.
    public var maxStatements = 8
    /// Further attempts of a failed batch before its lines are marked unavailable.
    public var retries = 3
    /// Delay before the first retry, in seconds; doubled for each further one, with jitter.
    public var retryDelay = 0.2
    /// How long the warehouse is left alone after a batch has used up its retries.
    public var breakerCooldown = 30.0
    /// Results kept in memory for repeated keys within one run (reserved up front, then emptied when full).
    /// An entry costs about 340 bytes and older repeats are answered by the file cache, so a larger
    /// table mostly buys memory: 65,536 entries took 22 MB of lt-query's 64 MB budget.
    public var memoryEntries = 8_192
    /// What `last_updated` says: the day the total was read, or the day after its latest row.
    public var lastUpdated = LastUpdatedRule.read

    public init() {}
}
