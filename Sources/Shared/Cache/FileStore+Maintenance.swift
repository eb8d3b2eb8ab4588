import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// The maintenance surface: show a key's entries, count, purge. These work on the same file the
/// lookups use and are safe while other lt-query processes run.
extension FileStore {
    public func entries(of key: LookupKey) throws -> [(CacheNamespace, CachedLookup)] {
        try checkUsable()
        guard let c = connection else { return [] }
        do {
            let s = try c.prepare(
                """
                SELECT e.total, e.last_updated, e.stored_at, e.expires_at, e.origin, e.namespace,
                coalesce(n.identity, '') FROM entries e LEFT JOIN namespaces n ON n.id = e.namespace
                WHERE e.key = ? ORDER BY e.stored_at DESC
                """)
            s.bind(1, key.cacheKey)
            var out: [(CacheNamespace, CachedLookup)] = []
            while try s.step() { out.append((CacheNamespace(id: s.string(5), identity: s.string(6)), entry(s))) }
            return out
        } catch let e as SQLiteConnection.Failure {
            throw CacheError(message: "cannot read the cache \(path): \(e.message)")
        }
    }

    /// Counts of entries, "no data" entries and expired entries, and the size of the files.
    public func statistics(now: Double) throws -> CacheStatistics {
        try checkUsable()
        guard let c = connection else { throw CacheError(message: "the cache in \(directory) cannot be used") }
        do {
            let s = try c.prepare(
                "SELECT count(*), count(*) - count(total), coalesce(sum(expires_at <= ?), 0) FROM entries")
            s.bind(1, now)
            _ = try s.step()
            var bytes: Int64 = 0
            for suffix in ["", "-wal"] {
                var st = stat()
                if stat(path + suffix, &st) == 0 { bytes += Int64(st.st_size) }
            }
            return CacheStatistics(entries: s.int64(0), negative: s.int64(1), expired: s.int64(2), fileBytes: bytes)
        } catch let e as SQLiteConnection.Failure {
            throw CacheError(message: "cannot read the cache \(path): \(e.message)")
        }
    }

    /// Deletes expired entries (or all of them) and returns how many went.
    public func purge(all: Bool, now: Double) throws -> Int64 {
        try checkUsable()
        guard let c = connection else { throw CacheError(message: "the cache in \(directory) cannot be used") }
        do {
            let s = try c.prepare(all ? "DELETE FROM entries" : "DELETE FROM entries WHERE expires_at <= ?")
            if !all { s.bind(1, now) }
            _ = try s.step()
            let n = try c.prepare("SELECT changes()")
            _ = try n.step()
            let deleted = n.int64(0)
            try? c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted
        } catch let e as SQLiteConnection.Failure {
            throw CacheError(message: "cannot purge the cache \(path): \(e.message)")
        }
    }
}
