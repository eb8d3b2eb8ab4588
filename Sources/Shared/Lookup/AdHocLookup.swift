/// One key looked up by hand (`lt-query --user … --course … --enterprise …`): the warehouse's
/// answer, and beside it what the cache holds for the key, with the difference said.
///
/// An ad-hoc lookup is for finding out what is true now, so it reads the warehouse, not the
/// cache; it writes the cache only when asked to (`--cache-write`, through the resolver's store).
public struct AdHocLookup {
    let resolver: LookupResolver
    /// The cache to read beside the warehouse; nil with `--no-cache`.
    let cache: StoreGate?

    public init(resolver: LookupResolver, cache: StoreGate?) {
        self.resolver = resolver
        self.cache = cache
    }

    /// The record for `key`; a permanent warehouse error (missing table, failed authentication)
    /// throws, a warehouse that cannot be reached gives an `unavailable` record and an error diagnostic.
    public func record(for key: LookupKey) throws -> [UInt8] {
        let cached = cache?.entry(key)
        let started = Timestamps.monotonic()
        defer { resolver.finish() }
        let result =
            try resolver.collect(resolver.submit([key]))[key]
            ?? LookupResult(status: .unavailable, error: "the warehouse gave no answer for the key")
        let seconds = Timestamps.monotonic() - started
        var json = JSONBuffer()
        json.beginObject()
        json.key("key")
        json.beginObject()
        json.key("user_id"); json.int(key.userID)
        json.key("course_id"); json.string(key.courseID)
        json.key("enterprise_customer_uuid"); json.string(key.enterpriseID)
        json.endObject()
        json.key("lookup"); result.write(to: &json)
        json.key("warehouse"); json.string(resolver.warehouseName)
        json.key("duration_ms"); json.double((seconds * 1e6).rounded() / 1e3)
        if let cache {
            let now = Timestamps.now()
            json.key("cache")
            json.beginObject()
            json.key("cached"); json.bool(cached != nil)
            CacheMaintenance.write(cache.namespace, to: &json)
            if let cached { CacheMaintenance.write(cached, now: now, to: &json) }
            json.endObject()
            json.key("difference")
            if let d = Self.difference(warehouse: result, cached: cached) { json.string(d) } else { json.null() }
        }
        json.endObject()
        return json.bytes
    }

    /// What differs between the warehouse's answer and the cache's entry, in words; nil when they
    /// agree, or when the warehouse could not answer (there is nothing to compare).
    static func difference(warehouse r: LookupResult, cached: CachedLookup?) -> String? {
        guard r.status == .found || r.status == .notFound else { return nil }
        guard let cached else { return "the cache holds nothing for this key" }
        switch (r.totalSeconds, cached.totalSeconds) {
        case (let w?, let c?) where w != c:
            return "the warehouse has \(w) s, the cache \(c) s (\(w > c ? "+" : "")\(w - c) s)"
        case (let w?, nil):
            return "the warehouse has \(w) s, the cache holds not_found"
        case (nil, let c?):
            return "the warehouse has no data, the cache holds \(c) s"
        default:
            return nil
        }
    }
}
