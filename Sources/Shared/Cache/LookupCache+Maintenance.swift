import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// What `lt-query --cache-stats` reports.
public struct CacheStatistics: Sendable, Equatable {
    public var entries: Int64
    public var negative: Int64
    public var expired: Int64
    public var fileBytes: Int64
}

/// The maintenance surface: show one entry, count, purge. These work on the same file the
/// lookups use and are safe while other lt-query processes run.
extension LookupCache {
    /// The stored entry for `key`, expired or not; nil when absent or when the cache is unusable.
    public func entry(_ key: LookupKey) -> CachedLookup? {
        guard isEnabled, let c = connection else { return nil }
        do {
            let s = try c.prepare("SELECT total, last_updated, expires_at FROM lookups WHERE key = ?")
            s.bind(1, key.cacheKey)
            guard try s.step() else { return nil }
            return CachedLookup(
                totalSeconds: s.isNull(0) ? nil : s.int64(0), lastUpdated: s.string(1), expiresAt: s.double(2))
        } catch let e as SQLiteConnection.Failure {
            handle(e, while: "reading")
            return nil
        } catch { return nil }
    }

    /// Counts of entries, "no data" entries and expired entries, and the size of the files.
    public func statistics(now: Double) throws -> CacheStatistics {
        guard isEnabled, let c = connection else { throw unusable }
        do {
            let s = try c.prepare(
                "SELECT count(*), count(*) - count(total), coalesce(sum(expires_at <= ?), 0) FROM lookups")
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
        guard isEnabled, let c = connection else { throw unusable }
        do {
            let s = try c.prepare(all ? "DELETE FROM lookups" : "DELETE FROM lookups WHERE expires_at <= ?")
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

    private var unusable: CacheError {
        CacheError(message: "the cache in \(directory) cannot be used")
    }
}

/// A cache maintenance command that could not run.
public struct CacheError: LTError {
    public let message: String
    public var hint: String { "check --cache-dir (or LT_CACHE_DIR) and the folder's permissions" }
}
