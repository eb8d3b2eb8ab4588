/// The resolver's one view of caching: any ``LookupStore``, with what every store shares around
/// it. Entries are kept under the warehouse's ``CacheNamespace``, stamped with when and by whom
/// (``CacheOrigin``) they were stored, and expire by one ``ExpiryPolicy``; expired entries are
/// misses. A store that fails is used through one ``FailSoft``: one warning, its keys go to the
/// warehouse, and it is tried again after a back-off.
public final class StoreGate {
    public let store: any LookupStore
    public let namespace: CacheNamespace
    public var expiry: ExpiryPolicy
    /// Who the entries written through this gate say wrote them.
    public let origin: CacheOrigin
    /// False when lookups are not answered from the cache: ad-hoc lookups read the warehouse.
    public let reads: Bool
    /// False to leave the cache as it is: ad-hoc lookups without `--cache-write`.
    public let writes: Bool
    private var failSoft: FailSoft
    private let diagnostics: Diagnostics?

    public init(
        _ store: any LookupStore, namespace: CacheNamespace, expiry: ExpiryPolicy = ExpiryPolicy(),
        origin: CacheOrigin = .run, reads: Bool = true, writes: Bool = true,
        diagnostics: Diagnostics?
    ) {
        self.store = store
        self.namespace = namespace
        self.expiry = expiry
        self.origin = origin
        self.reads = reads
        self.writes = writes
        self.diagnostics = diagnostics
        failSoft = FailSoft(what: "the cache \(store.address)")
    }

    /// See ``LookupStore/readsByBatch``.
    public var readsByBatch: Bool { store.readsByBatch }

    /// False while the store is backing off after a failure.
    public var isUsable: Bool { failSoft.isUsable(now: Timestamps.monotonic()) }

    /// The live (present and not expired) entry of each key, in the order of `keys`; all misses
    /// while the store is failing.
    public func get(_ keys: [LookupKey], now: Double) -> [CachedLookup?] {
        guard !keys.isEmpty, let entries = attempt({ try store.get(keys, in: namespace) }) else {
            return Array(repeating: nil, count: keys.count)
        }
        return entries.map { e in e.flatMap { $0.expiresAt > now ? $0 : nil } }
    }

    /// The live entry of one key.
    public func get(_ key: LookupKey, now: Double) -> CachedLookup? {
        guard let e = attempt({ try store.get(key, in: namespace) }) ?? nil, e.expiresAt > now else { return nil }
        return e
    }

    /// The stored entry of `key`, expired or not, for `--cache-show` and ad-hoc lookups.
    public func entry(_ key: LookupKey) -> CachedLookup? {
        attempt({ try store.get(key, in: namespace) }) ?? nil
    }

    /// Stores answers read from the warehouse on `lastUpdated`; a nil total records "no data".
    public func put(_ answers: [(LookupKey, Int64?)], lastUpdated: String, now: Double) {
        guard writes, !answers.isEmpty else { return }
        let entries = answers.map { key, total in
            (
                key,
                CachedLookup(
                    totalSeconds: total, lastUpdated: lastUpdated, storedAt: now,
                    expiresAt: expiry.expiry(found: total != nil, now: now), origin: origin)
            )
        }
        _ = attempt { try store.put(entries, in: namespace) }
    }

    /// Commits gathered writes; see ``LookupStore/flush()``.
    public func flush() { _ = attempt { try store.flush() } }

    /// Runs `body` unless the store is backing off; a failure is recorded, and gives nil.
    private func attempt<T>(_ body: () throws -> T) -> T? {
        let now = Timestamps.monotonic()
        guard failSoft.isUsable(now: now) else { return nil }
        do {
            let value = try body()
            failSoft.succeeded(diagnostics: diagnostics)
            return value
        } catch {
            failSoft.failed(error, now: now, diagnostics: diagnostics)
            return nil
        }
    }
}
