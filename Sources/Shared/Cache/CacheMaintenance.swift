/// `lt-query --cache-show`, `--cache-stats` and `--cache-purge`: each prints JSON lines on
/// standard output, so the answers can be read by people and by jq alike.
public struct CacheMaintenance {
    let store: any LookupStore
    /// The warehouse whose entries to show; nil to show every warehouse's (file cache only).
    let namespace: CacheNamespace?

    public init(store: any LookupStore, namespace: CacheNamespace?) {
        self.store = store
        self.namespace = namespace
    }

    /// Reads a key as `learning_time:{user}:{course}:{enterprise}` (the prefix may be left out).
    /// Course keys contain colons, so the user id is the first part and the UUID the last.
    public static func key(_ text: String) throws -> LookupKey {
        var rest = Substring(text)
        if rest.hasPrefix("learning_time:") { rest = rest.dropFirst("learning_time:".count) }
        guard let firstColon = rest.firstIndex(of: ":"), let lastColon = rest.lastIndex(of: ":"), firstColon < lastColon
        else {
            throw ConfigError(
                "--cache-show \"\(text.prefix(80))\" is not a cache key",
                hint: "write it as learning_time:USER_ID:COURSE_KEY:ENTERPRISE_UUID")
        }
        return try LookupKey.validated(
            userID: Int64(rest[..<firstColon]), courseID: String(rest[rest.index(after: firstColon)..<lastColon]),
            enterpriseID: String(rest[rest.index(after: lastColon)...]), from: "--cache-show")
    }

    /// One line per key and warehouse: what the cache holds, when and by whom it was stored, and
    /// how long it stays fresh; `"cached": false` when it holds nothing.
    public func show(_ keys: [LookupKey], now: Double) throws -> [UInt8] {
        var json = JSONBuffer()
        for key in keys {
            let found: [(CacheNamespace, CachedLookup)]
            if let namespace {
                found = try store.get(key, in: namespace).map { [(namespace, $0)] } ?? []
            } else {
                found = try store.entries(of: key)
            }
            if found.isEmpty {
                json.beginObject()
                json.key("key"); json.string(key.cacheKey)
                json.key("cached"); json.bool(false)
                if let namespace { Self.write(namespace, to: &json) }
                json.endObject()
                json.raw([0x0A])
            }
            for (n, e) in found {
                json.beginObject()
                json.key("key"); json.string(key.cacheKey)
                json.key("cached"); json.bool(true)
                Self.write(n, to: &json)
                Self.write(e, now: now, to: &json)
                json.endObject()
                json.raw([0x0A])
            }
        }
        return json.bytes
    }

    static func write(_ n: CacheNamespace, to json: inout JSONBuffer) {
        json.key("namespace"); json.string(n.id)
        json.key("warehouse"); json.string(n.identity)
    }

    /// An entry's members: `lookup`, `stored_at`, `expires_in_seconds`, `expired` and `origin`.
    public static func write(_ e: CachedLookup, now: Double, to json: inout JSONBuffer) {
        json.key("lookup"); e.result.write(to: &json)
        json.key("stored_at"); json.string(Timestamps.iso8601(e.storedAt))
        json.key("expires_in_seconds"); json.int(Int64((e.expiresAt - now).rounded(.down)))
        json.key("expired"); json.bool(e.expiresAt <= now)
        json.key("origin"); json.string(e.origin.rawValue)
    }

    public func stats(now: Double) throws -> [UInt8] {
        let s = try store.statistics(now: now)
        var json = JSONBuffer()
        json.beginObject()
        json.key("cache"); json.string(store.address)
        if let file = store as? FileStore { json.key("path"); json.string(file.path) }
        json.key("entries"); json.int(s.entries)
        json.key("not_found_entries"); json.int(s.negative)
        json.key("expired_entries"); json.int(s.expired)
        json.key("file_bytes"); json.int(s.fileBytes)
        json.endObject()
        return json.bytes + [0x0A]
    }

    public func purge(all: Bool, now: Double) throws -> [UInt8] {
        let n = try store.purge(all: all, now: now)
        var json = JSONBuffer()
        json.beginObject()
        json.key("cache"); json.string(store.address)
        if let file = store as? FileStore { json.key("path"); json.string(file.path) }
        json.key("purged"); json.string(all ? "all" : "expired")
        json.key("deleted_entries"); json.int(n)
        json.endObject()
        return json.bytes + [0x0A]
    }
}
