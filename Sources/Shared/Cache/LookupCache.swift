import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A cached lookup: a total (nil for a cached "no data"), when it was read and when it expires.
public struct CachedLookup: Sendable, Equatable {
    public var totalSeconds: Int64?
    public var lastUpdated: String
    public var expiresAt: Double
}

/// The file cache shared by every lt-query process on the machine: one SQLite file in WAL mode
/// under the cache folder, keyed by the specification's `learning_time:{user}:{course}:{enterprise}`.
///
/// SQLite gives atomic writes that several processes can share, and stays fast at millions of
/// rows. The cache is an optimisation, never a dependency: when the folder is missing, read-only
/// or full, it says so once and the tool goes on uncached; a damaged file is deleted and rebuilt.
public final class LookupCache {
    public let directory: String
    public var path: String { directory + "/lookups.sqlite" }
    public private(set) var isEnabled = true
    private var writable = true
    private var repaired = false
    private var connection: SQLiteConnection?
    private var selectStatement: SQLiteConnection.Statement?
    private var upsertStatement: SQLiteConnection.Statement?
    private let diagnostics: Diagnostics?
    private var random = SystemRandomNumberGenerator()

    /// Time to live for found values and for "no data" results, in seconds.
    public var ttl: Double
    public var negativeTTL: Double
    /// Each entry's lifetime is shortened by up to this fraction, at random, so entries written
    /// together (a backfill) do not all expire together.
    public var jitter = 0.05

    public init(directory: String, ttl: Double = 3600, negativeTTL: Double = 3600, diagnostics: Diagnostics?) {
        self.directory = directory
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.diagnostics = diagnostics
        open()
    }

    private func open() {
        do {
            try makeDirectory(directory)
            let c = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try c.execute("PRAGMA busy_timeout = 5000")
            try c.execute("PRAGMA journal_mode = WAL")
            try c.execute("PRAGMA synchronous = NORMAL")
            try c.execute("""
                CREATE TABLE IF NOT EXISTS lookups (key TEXT PRIMARY KEY, total INTEGER, last_updated TEXT NOT NULL,
                expires_at REAL NOT NULL) WITHOUT ROWID
                """)
            selectStatement = try c.prepare("SELECT total, last_updated, expires_at FROM lookups WHERE key = ?")
            upsertStatement = try c.prepare("INSERT OR REPLACE INTO lookups (key, total, last_updated, expires_at) VALUES (?, ?, ?, ?)")
            connection = c
        } catch let e as SQLiteConnection.Failure {
            handle(e, while: "opening")
        } catch {
            disable("cannot use the cache folder \(directory): \(error)")
        }
    }

    private func makeDirectory(_ dir: String) throws {
        var st = stat()
        if stat(dir, &st) == 0 { return }
        var built = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw ConfigError("\(String(cString: strerror(errno))) creating \(built)")
            }
        }
    }

    private func disable(_ why: String) {
        if isEnabled {
            diagnostics?.warning("\(why); going on without the cache", at: nil)
        }
        isEnabled = false
        selectStatement = nil
        upsertStatement = nil
        connection = nil
    }

    /// Deletes a damaged cache file and starts again, once per run.
    private func handle(_ e: SQLiteConnection.Failure, while doing: String) {
        if e.isCorrupt && !repaired {
            repaired = true
            diagnostics?.warning("the cache file \(path) is damaged (\(e.message)); rebuilding it", at: nil)
            selectStatement = nil
            upsertStatement = nil
            connection = nil
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            open()
            return
        }
        disable("cache unavailable while \(doing) \(path): \(e.message)")
    }

    /// The entry for `key` if present and not expired.
    public func get(_ key: LookupKey, now: Double) -> CachedLookup? {
        guard isEnabled, let s = selectStatement else { return nil }
        s.reset()
        s.bind(1, key.cacheKey)
        do {
            guard try s.step() else { return nil }
            let entry = CachedLookup(totalSeconds: s.isNull(0) ? nil : s.int64(0), lastUpdated: s.string(1), expiresAt: s.double(2))
            s.reset()
            return entry.expiresAt > now ? entry : nil
        } catch let e as SQLiteConnection.Failure {
            s.reset()
            handle(e, while: "reading")
            return nil
        } catch { return nil }
    }

    /// Stores results in one transaction; `totals[key] == nil` records "no data".
    public func put(_ entries: [(LookupKey, Int64?)], lastUpdated: String, now: Double) {
        guard isEnabled, writable, let c = connection, let s = upsertStatement, !entries.isEmpty else { return }
        do {
            try c.execute("BEGIN IMMEDIATE")
            for (key, total) in entries {
                let life = (total == nil ? negativeTTL : ttl) * (1 - jitter * Double.random(in: 0..<1, using: &random))
                s.reset()
                s.bind(1, key.cacheKey)
                if let total { s.bind(2, total) } else { s.bindNull(2) }
                s.bind(3, lastUpdated)
                s.bind(4, now + life)
                _ = try s.step()
            }
            s.reset()
            try c.execute("COMMIT")
        } catch let e as SQLiteConnection.Failure {
            s.reset()
            try? c.execute("ROLLBACK")
            if e.code & 0xFF == SQLITE_READONLY || e.code & 0xFF == SQLITE_FULL || e.code & 0xFF == SQLITE_CANTOPEN
                || e.code & 0xFF == SQLITE_IOERR {
                writable = false
                diagnostics?.warning("cannot write the cache \(path): \(e.message); going on without storing results", at: nil)
            } else {
                handle(e, while: "writing")
            }
        } catch {}
    }
}
