/// `lt-query --cache-show`, `--cache-stats` and `--cache-purge`: each prints JSON lines on
/// standard output, so the answers can be read by people and by jq alike.
public struct CacheMaintenance {
    let cache: LookupCache

    public init(cache: LookupCache) { self.cache = cache }

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

    /// One line per key: what the cache holds and how long it stays fresh.
    public func show(_ keys: [LookupKey], now: Double) -> [UInt8] {
        var json = JSONBuffer()
        for key in keys {
            json.beginObject()
            json.key("key"); json.string(key.cacheKey)
            if let e = cache.entry(key) {
                json.key("cached"); json.bool(true)
                json.key("lookup"); e.result.write(to: &json)
                json.key("expires_in_seconds"); json.int(Int64((e.expiresAt - now).rounded(.down)))
                json.key("expired"); json.bool(e.expiresAt <= now)
            } else {
                json.key("cached"); json.bool(false)
            }
            json.endObject()
            json.raw([0x0A])
        }
        return json.bytes
    }

    public func stats(now: Double) throws -> [UInt8] {
        let s = try cache.statistics(now: now)
        var json = JSONBuffer()
        json.beginObject()
        json.key("path"); json.string(cache.path)
        json.key("entries"); json.int(s.entries)
        json.key("not_found_entries"); json.int(s.negative)
        json.key("expired_entries"); json.int(s.expired)
        json.key("file_bytes"); json.int(s.fileBytes)
        json.endObject()
        return json.bytes + [0x0A]
    }

    public func purge(all: Bool, now: Double) throws -> [UInt8] {
        let n = try cache.purge(all: all, now: now)
        var json = JSONBuffer()
        json.beginObject()
        json.key("path"); json.string(cache.path)
        json.key("purged"); json.string(all ? "all" : "expired")
        json.key("deleted_entries"); json.int(n)
        json.endObject()
        return json.bytes + [0x0A]
    }
}
