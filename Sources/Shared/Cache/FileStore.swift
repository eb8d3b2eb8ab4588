import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// The file cache shared by every lt-query process on the machine (`--cache file:DIR`, the
/// default): one SQLite file in WAL mode under the cache folder, keyed by warehouse namespace and
/// the specification's `learning_time:{user}:{course}:{enterprise}`.
///
/// SQLite gives atomic writes that several processes can share, and stays fast at millions of
/// rows. A damaged file is deleted and rebuilt, once per run; a folder that cannot be used makes
/// every call throw, and ``StoreGate`` goes on without the cache.
public final class FileStore: LookupStore {
    public let directory: String
    public var path: String { directory + "/lookups.sqlite" }
    public var address: String { "file:" + directory }
    public var readsByBatch: Bool { false }
    /// Why the cache cannot be used, once it cannot.
    public private(set) var unusable: String?
    private var writable = true
    private var repaired = false
    private(set) var connection: SQLiteConnection?
    private var selectStatement: SQLiteConnection.Statement?
    private var upsertStatement: SQLiteConnection.Statement?
    private let diagnostics: Diagnostics?
    private var readsInTransaction = 0
    private var lastUpdatedSeen = ""
    private var pendingWrites: [PendingWrite] = []
    /// Namespaces whose identity this process has written to the `namespaces` table.
    private var namespacesWritten: Set<String> = []
    /// Device and inode of the file the connection has open, to notice it deleted or replaced.
    private var openedFile: (device: UInt64, inode: UInt64)?
    /// Bigger transactions touch each page of the file fewer times over a backfill, and cost
    /// about 170 bytes of memory per write until the commit.
    private static let writesPerTransaction = 8_192
    private static let readsPerTransaction = 2048

    public init(directory: String, diagnostics: Diagnostics?) {
        self.directory = directory
        self.diagnostics = diagnostics
        open()
    }

    /// Where the file cache lives when `--cache` names none: `LT_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/lt`, else `~/.cache/lt`.
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let d = environment["LT_CACHE_DIR"], !d.isEmpty { return d }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty { return x + "/lt" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return home + "/.cache/lt"
    }

    /// Marks the file as this cache's (SQLite's application_id), so a foreign SQLite file is recognised.
    static let applicationID: Int32 = 0x6C74_6331  // "ltc1"

    private func open() {
        // Processes that create the file at the same moment can meet SQLITE_BUSY where SQLite does not
        // call the busy handler (switching to WAL); such a collision passes within milliseconds.
        var attempt = 0
        while true {
            do {
                try openOnce()
                return
            } catch let e as SQLiteConnection.Failure where e.code & 0xFF == SQLITE_BUSY && attempt < 100 {
                attempt += 1
                Clock.sleep(seconds: 0.01 * Double.random(in: 0.5...1.5))
            } catch let e as SQLiteConnection.Failure {
                handle(e, while: "opening")
                return
            } catch let e as CacheFileRefused {
                disable("\(e.reason); lt writes only cache files it created: remove it, or choose another --cache")
                return
            } catch {
                disable("cannot use the cache folder \(directory): \(error)")
                return
            }
        }
    }

    private func openOnce() throws {
        try makeDirectory(directory)
        // Only files lt made: never through a link, never into someone else's file.
        for p in [path, path + "-wal", path + "-shm"] {
            if let why = Self.refusal(p) { throw CacheFileRefused(reason: why) }
        }
        // Another program's database is left alone, read from its first page before SQLite opens it.
        if case .sqlite(let id, true) = SQLiteFileHeader.read(path), id != 0, id != Self.applicationID {
            throw CacheFileRefused(reason: "the cache file \(path) is another program's SQLite database")
        }
        // Created 0600 (it holds learner ids); SQLite gives its WAL and shm files the same mode.
        try StateFile.prepare(path, what: "the cache file")
        let c = try SQLiteConnection(
            path: path,
            flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW)
        if let why = Self.refusal(path) { throw CacheFileRefused(reason: why) }
        // A connection setting, not a write: needed to read while another process writes.
        try c.execute("PRAGMA busy_timeout = 5000")
        // The schema is checked before any write or pragma that could write: a file that is not
        // an lt cache (another program's database) is left as it is.
        // Both in one statement, so in one snapshot: read apart, a process that creates the cache
        // between the two reads made its file look foreign, and it was deleted as damaged.
        let schema = try c.prepare(
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_schema), "
                + "(SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                + "AND name NOT IN ('entries', 'namespaces', 'lookups'))")
        guard try schema.step() else { throw SQLiteConnection.Failure(code: SQLITE_NOTADB, message: "no schema") }
        let appID = Int32(truncatingIfNeeded: schema.int64(0))
        let tableCount = schema.int64(1)
        let otherTables = schema.int64(2)
        schema.reset()
        if appID != Self.applicationID && (appID != 0 || otherTables > 0) && tableCount > 0 {
            // Tables an lt cache never had: another program's database, refused, never deleted.
            throw CacheFileRefused(reason: "the cache file \(path) is another program's SQLite database")
        }
        if appID != Self.applicationID && tableCount > 0 {
            // An older lt cache (before application_id), or one whose tables were cut: rebuilt.
            throw SQLiteConnection.Failure(code: SQLITE_NOTADB, message: "it is not an lt cache (foreign schema)")
        }
        try c.execute("PRAGMA journal_mode = WAL")
        // No fsync: the cache is disposable, and a file damaged by a power cut is detected and rebuilt.
        // With fsync, random-order writes of a cold backfill cost more than the warehouse itself.
        try c.execute("PRAGMA synchronous = OFF")
        // Lookups at random over millions of entries: read pages through a bounded memory map
        // instead of a read() per page; both limits keep memory flat however large the file grows.
        try c.execute("PRAGMA mmap_size = 16777216")
        try c.execute("PRAGMA cache_size = -4096")
        try c.execute(
            """
            BEGIN IMMEDIATE;
            CREATE TABLE IF NOT EXISTS entries (namespace TEXT NOT NULL, key TEXT NOT NULL, total INTEGER,
            last_updated TEXT NOT NULL, stored_at REAL NOT NULL, expires_at REAL NOT NULL, origin TEXT NOT NULL,
            PRIMARY KEY (namespace, key)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS namespaces (id TEXT PRIMARY KEY, identity TEXT NOT NULL) WITHOUT ROWID;
            DROP TABLE IF EXISTS lookups;
            PRAGMA application_id = \(Self.applicationID);
            COMMIT
            """)
        selectStatement = try c.prepare(Self.select + " WHERE namespace = ? AND key = ?")
        upsertStatement = try c.prepare(
            """
            INSERT OR REPLACE INTO entries (namespace, key, total, last_updated, stored_at, expires_at, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        connection = c
        openedFile = fileIdentity()
    }

    /// Why the file at `p` is not one lt made, or nil when it is absent or is a plain file of this
    /// user's with no other name.
    static func refusal(_ p: String) -> String? {
        var st = stat()
        guard lstat(p, &st) == 0 else { return nil }
        if st.st_mode & S_IFMT == S_IFLNK { return "the cache file \(p) is a symbolic link" }
        if st.st_mode & S_IFMT != S_IFREG { return "the cache file \(p) is not a regular file" }
        if st.st_uid != geteuid() { return "the cache file \(p) belongs to another user" }
        if st.st_nlink > 1 { return "the cache file \(p) has other names (hard links)" }
        return nil
    }

    private struct CacheFileRefused: Error {
        let reason: String
    }

    private func makeDirectory(_ dir: String) throws {
        var st = stat()
        if stat(dir, &st) == 0 { return }
        var built = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw IOError(.writing, "\(String(cString: strerror(errno))) creating \(built)")
            }
        }
    }

    deinit { try? flush() }

    /// The columns every read takes, in ``entry(_:)``'s order.
    static let select = "SELECT total, last_updated, stored_at, expires_at, origin FROM entries"

    /// The entry a statement's row holds.
    func entry(_ s: SQLiteConnection.Statement) -> CachedLookup {
        CachedLookup(
            totalSeconds: s.isNull(0) ? nil : s.int64(0), lastUpdated: lastUpdatedText(s), storedAt: s.double(2),
            expiresAt: s.double(3), origin: s.text(4, equals: "run") ? .run : .adHoc)
    }

    private func disable(_ why: String) {
        readsInTransaction = 0
        if unusable == nil { unusable = why }
        selectStatement = nil
        upsertStatement = nil
        connection = nil
    }

    /// Throws the reason the cache cannot be used, if it cannot.
    func checkUsable() throws {
        if let unusable { throw CacheError(message: unusable) }
    }

    /// Deletes a damaged cache file and starts again, once per run.
    func handle(_ e: SQLiteConnection.Failure, while doing: String) {
        // While opening, a schema that does not fit (SQLITE_ERROR) is a foreign file too.
        if e.code & 0xFF == SQLITE_BUSY && doing != "opening" {
            // Another process held the file past the busy timeout: skip this read or write, keep the cache.
            diagnostics?.warnOnce("cache-busy", "the cache \(path) was busy for over 5 s; some results were not cached")
            return
        }
        let foreign = e.isCorrupt || (doing == "opening" && e.code & 0xFF == SQLITE_ERROR)
        if foreign && !repaired {
            repaired = true
            readsInTransaction = 0
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

    public func get(_ keys: [LookupKey], in namespace: CacheNamespace) throws -> [CachedLookup?] {
        try keys.map { try get($0, in: namespace) }
    }

    public func get(_ key: LookupKey, in namespace: CacheNamespace) throws -> CachedLookup? {
        try checkUsable()
        guard let s = selectStatement, let c = connection else { return nil }
        if readsInTransaction >= Self.readsPerTransaction { endReads() }
        s.reset()
        s.bind(1, namespace.id)
        s.bind(2, key.cacheKey)
        do {
            // Reads share one read transaction for a while: taking and dropping SQLite's file lock
            // for each key costs more than the lookup itself.
            if readsInTransaction == 0 { try c.execute("BEGIN") }
            readsInTransaction += 1
            guard try s.step() else { return nil }
            let found = entry(s)
            s.reset()
            return found
        } catch let e as SQLiteConnection.Failure {
            s.reset()
            handle(e, while: "reading")
            try checkUsable()
            return nil
        }
    }

    /// The `last_updated` column, reusing the previous String when the text is the same (it
    /// nearly always is: one date per day), to spare an allocation per hit.
    private func lastUpdatedText(_ s: SQLiteConnection.Statement) -> String {
        if s.text(1, equals: lastUpdatedSeen) { return lastUpdatedSeen }
        lastUpdatedSeen = s.string(1)
        return lastUpdatedSeen
    }

    /// Ends the shared read transaction, so that this process sees others' writes and does not hold back checkpoints.
    public func endReads() {
        guard readsInTransaction > 0 else { return }
        readsInTransaction = 0
        selectStatement?.reset()
        try? connection?.execute("COMMIT")
    }

    /// Writes are gathered and committed together (see ``flush()``): a backfill's keys land all
    /// over the file, and one transaction per batch would rewrite the same pages again and again.
    public func put(_ entries: [(LookupKey, CachedLookup)], in namespace: CacheNamespace) throws {
        try checkUsable()
        guard writable, connection != nil, !entries.isEmpty else { return }
        if namespacesWritten.insert(namespace.id).inserted {
            pendingNamespaces.append(namespace)
        }
        for (key, e) in entries {
            pendingWrites.append(PendingWrite(namespace: namespace.id, key: key.cacheKey, entry: e))
        }
        if pendingWrites.count >= Self.writesPerTransaction { try flush() }
    }

    private var pendingNamespaces: [CacheNamespace] = []

    /// Commits the gathered writes in key order, in one transaction. Called when the input pauses,
    /// at the end of a run, and when enough writes have gathered.
    public func flush() throws {
        endReads()
        guard !pendingWrites.isEmpty else { return }
        reopenIfReplaced()
        defer { pendingWrites.removeAll(keepingCapacity: true) }
        try checkUsable()
        guard writable, let c = connection, let s = upsertStatement else { return }
        pendingWrites.sort { ($0.namespace, $0.key) < ($1.namespace, $1.key) }
        do {
            try c.execute("BEGIN IMMEDIATE")
            for n in pendingNamespaces {
                let ns = try c.prepare("INSERT OR REPLACE INTO namespaces (id, identity) VALUES (?, ?)")
                ns.bind(1, n.id)
                ns.bind(2, n.identity)
                _ = try ns.step()
            }
            pendingNamespaces.removeAll()
            for w in pendingWrites {
                s.reset()
                s.bind(1, w.namespace)
                s.bind(2, w.key)
                if let total = w.entry.totalSeconds { s.bind(3, total) } else { s.bindNull(3) }
                s.bind(4, w.entry.lastUpdated)
                s.bind(5, w.entry.storedAt)
                s.bind(6, w.entry.expiresAt)
                s.bind(7, w.entry.origin.rawValue)
                _ = try s.step()
            }
            s.reset()
            try c.execute("COMMIT")
        } catch let e as SQLiteConnection.Failure {
            s.reset()
            try? c.execute("ROLLBACK")
            if e.code & 0xFF == SQLITE_READONLY || e.code & 0xFF == SQLITE_FULL || e.code & 0xFF == SQLITE_CANTOPEN
                || e.code & 0xFF == SQLITE_IOERR
            {
                writable = false
                diagnostics?.warning(
                    "cannot write the cache \(path): \(e.message); going on without storing results", at: nil)
            } else {
                handle(e, while: "writing")
                try checkUsable()
            }
        }
    }

    private func fileIdentity() -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// A cache file deleted or replaced under a running process (a cleanup, `rm -rf ~/.cache`)
    /// would otherwise take this run's writes into a file nobody can open again. Gone with its
    /// folder or its WAL files, a new cache is started; replaced by another file, or gone while
    /// its WAL files stay (SQLite would lay the old WAL over a new file), the run goes on without.
    private func reopenIfReplaced() {
        guard unusable == nil, connection != nil, let opened = openedFile else { return }
        let current = fileIdentity()
        if let current, current == opened { return }
        selectStatement = nil
        upsertStatement = nil
        connection = nil
        openedFile = nil
        namespacesWritten.removeAll()
        let leftovers = ["-wal", "-shm"].contains { access(path + $0, F_OK) == 0 }
        if current == nil && !leftovers {
            diagnostics?.warning("the cache file \(path) was deleted during the run; starting a new one", at: nil)
            open()
        } else {
            disable("the cache file \(path) was \(current == nil ? "deleted" : "replaced") during the run")
        }
    }

    private struct PendingWrite {
        var namespace: String
        var key: String
        var entry: CachedLookup
    }
}
