/// A cached lookup: a total (nil for a cached "no data"), when it was read and when it expires.
public struct CachedLookup: Sendable, Equatable {
    public var totalSeconds: Int64?
    public var lastUpdated: String
    public var expiresAt: Double

    public init(totalSeconds: Int64?, lastUpdated: String, expiresAt: Double) {
        self.totalSeconds = totalSeconds
        self.lastUpdated = lastUpdated
        self.expiresAt = expiresAt
    }

    /// The lookup record a cache hit produces.
    public var result: LookupResult {
        totalSeconds.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: lastUpdated, source: .cache) }
            ?? LookupResult(status: .notFound, lastUpdated: lastUpdated, source: .cache)
    }
}

/// Where answers are kept between runs, so that a key asked again is not sent to the warehouse.
///
/// Gets and puts take batches, so that a store across the network (a shared cache server) can
/// answer a batch in one round trip; ``LookupResolver`` is its only user and keeps the stream's
/// order whatever the store does. The store is an optimisation: one that fails says so and
/// answers nothing (``isEnabled`` false), and lookups go on without it.
public protocol LookupStore: AnyObject {
    /// False once the store has given up; nothing is read from or written to it then.
    var isEnabled: Bool { get }
    /// The live (present and not expired) entry of each key, in the order of `keys`.
    func get(_ keys: [LookupKey], now: Double) -> [CachedLookup?]
    /// The live entry of one key; stores may answer it faster than a batch of one.
    func get(_ key: LookupKey, now: Double) -> CachedLookup?
    /// Stores answers read from the warehouse on `lastUpdated`; a nil total records "no data".
    /// Writes may be gathered until ``flush()``.
    func put(_ entries: [(LookupKey, Int64?)], lastUpdated: String, now: Double)
    /// Commits gathered writes and lets go of what the store holds open; called when the input
    /// pauses and at the end of a run.
    func flush()
}

extension LookupStore {
    public func get(_ key: LookupKey, now: Double) -> CachedLookup? { get([key], now: now).first ?? nil }
}
