/// Who wrote a cache entry: a run over input lines, or an ad-hoc lookup given `--cache-write`.
public enum CacheOrigin: String, Sendable {
    case run
    case adHoc = "ad-hoc"
}

/// A cached lookup: a total (nil for a cached "no data"), the warehouse date it was read on, when
/// it was stored, when it expires and who stored it.
public struct CachedLookup: Sendable, Equatable {
    public var totalSeconds: Int64?
    public var lastUpdated: String
    public var storedAt: Double
    public var expiresAt: Double
    public var origin: CacheOrigin

    public init(
        totalSeconds: Int64?, lastUpdated: String, storedAt: Double = 0, expiresAt: Double,
        origin: CacheOrigin = .run
    ) {
        self.totalSeconds = totalSeconds
        self.lastUpdated = lastUpdated
        self.storedAt = storedAt
        self.expiresAt = expiresAt
        self.origin = origin
    }

    /// The lookup record a cache hit produces.
    public var result: LookupResult {
        totalSeconds.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: lastUpdated, source: .cache) }
            ?? LookupResult(status: .notFound, lastUpdated: lastUpdated, source: .cache)
    }
}

/// Where answers are kept between runs: the file cache (``FileStore``) or memcached
/// (``MemcachedStore``). A store only keeps and returns entries, and throws when it cannot;
/// everything else (expiry, namespaces, failing soft) is ``StoreGate``'s, the same for every store.
///
/// Adding a store is one file conforming to this protocol and one case in ``CacheAddress``.
public protocol LookupStore: AnyObject {
    /// The store's address as the user wrote it (`file:/home/me/.cache/lt`, `memcached://…`), for messages.
    var address: String { get }
    /// True when reads cost a round trip (a server): the resolver asks once per batch of keys.
    /// False for a local file, asked key by key as lines arrive, so that a hit is written at once.
    var readsByBatch: Bool { get }
    /// The entry of each key in `namespace`, in the order of `keys`; expired entries may be returned.
    func get(_ keys: [LookupKey], in namespace: CacheNamespace) throws -> [CachedLookup?]
    /// The entry of one key; a store may answer it faster than a batch of one.
    func get(_ key: LookupKey, in namespace: CacheNamespace) throws -> CachedLookup?
    /// Stores entries; writes may be gathered until ``flush()``.
    func put(_ entries: [(LookupKey, CachedLookup)], in namespace: CacheNamespace) throws
    /// Commits gathered writes and lets go of what the store holds open; called when the input
    /// pauses and at the end of a run.
    func flush() throws
    /// The key's entries in every namespace (`--cache-show` without a warehouse).
    func entries(of key: LookupKey) throws -> [(CacheNamespace, CachedLookup)]
    /// `--cache-stats`.
    func statistics(now: Double) throws -> CacheStatistics
    /// `--cache-purge`: deletes expired entries, or all, and returns how many went.
    func purge(all: Bool, now: Double) throws -> Int64
}

extension LookupStore {
    public func get(_ key: LookupKey, in namespace: CacheNamespace) throws -> CachedLookup? {
        try get([key], in: namespace).first ?? nil
    }

    public func entries(of key: LookupKey) throws -> [(CacheNamespace, CachedLookup)] {
        throw CacheError(
            message: "\(address) cannot list a key's entries in every warehouse's namespace",
            hint: "give --warehouse (and --table and the columns, as the runs do) to show this warehouse's entry")
    }

    public func statistics(now: Double) throws -> CacheStatistics {
        throw CacheError(
            message: "--cache-stats reads the file cache only", hint: "use memcached's own statistics (stats command)")
    }

    public func purge(all: Bool, now: Double) throws -> Int64 {
        throw CacheError(
            message: "--cache-purge works on the file cache only",
            hint: "memcached expires entries by itself; flush_all empties a server")
    }
}

/// What `lt-query --cache-stats` reports.
public struct CacheStatistics: Sendable, Equatable {
    public var entries: Int64
    public var negative: Int64
    public var expired: Int64
    public var fileBytes: Int64
}

/// A cache that cannot be used, or a maintenance command that could not run.
public struct CacheError: LTError {
    public let message: String
    public var kind: ErrorKind { .failure }
    public var hint: String = "check --cache (or LT_CACHE) and the folder's permissions"
}
