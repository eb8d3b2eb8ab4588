import CSQLite
import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// The `--journal` file: a SQLite database (WAL mode) of confirmed deliveries, one entry per
/// destination and webhook id with the time it was delivered, synced to disk before the
/// delivery is reported, so a re-run skips what was already delivered *to that destination*.
///
/// - Scope: an entry belongs to a destination (an integration's name, or `url:` and the URL for
///   `--url`), so a delivery to one partner never skips a line for another.
/// - One writer: `JOURNAL.lock` is locked for the whole run; a second lt-send is refused and told
///   the pid of the first.
/// - Whole entries: ids are validated before they get here and go in as bound parameters, so no id
///   can split or forge an entry. A write cut short by a crash or a full disk is a torn WAL tail,
///   which SQLite drops on open (those ids were never reported delivered); it is reported once.
/// - Scale: the ids live in an on-disk index, not in memory, so 30 million open in milliseconds.
///
/// Ids are written in groups (one transaction and one sync per batch of completions), so the sync
/// costs little at high rates.
///
/// For corrections (`--resend-changed`), each entry also keeps the SHA-256 of the payload as lt-send
/// received it, its `learning_time.total_seconds` (null when it carried none), its revision (0 for
/// the first delivery) and, for a revision, the id it revises; the original's entry is updated to
/// its latest revision. Journals of earlier versions get these columns on open, empty: their
/// entries are never corrected, as there is nothing to compare with.
public final class DeliveryJournal {
    /// What the journal knows of an id delivered to a destination.
    public struct Entry: Sendable, Equatable {
        /// The payload's SHA-256, nil for an entry written before corrections were recorded.
        public var digest: [UInt8]?
        public var totalSeconds: Int64?
        /// 0 for the first delivery; the latest correction's number after corrections.
        public var revision: Int
    }

    /// One delivery to record: the id sent, its destination, and what corrections compare.
    public struct Delivery: Sendable {
        public var id: String
        public var scope: Int64
        public var digest: [UInt8]
        public var totalSeconds: Int64?
        public var revision = 0
        /// For a correction: the original id, whose entry is brought up to this revision.
        public var revisionOf: String?

        public init(
            id: String, scope: Int64, digest: [UInt8], totalSeconds: Int64?, revision: Int = 0,
            revisionOf: String? = nil
        ) {
            self.id = id
            self.scope = scope
            self.digest = digest
            self.totalSeconds = totalSeconds
            self.revision = revision
            self.revisionOf = revisionOf
        }
    }

    public let path: String
    private let lock: FileLock
    private let db: SQLiteConnection
    private let lookup: SQLiteConnection.Statement
    private let insert: SQLiteConnection.Statement
    private let entryQuery: SQLiteConnection.Statement
    private let revise: SQLiteConnection.Statement
    private var batch: [(delivery: Delivery, at: Int64)] = []
    private var scopes: [String: Int64] = [:]
    /// Set when the journal's last write had been cut short and was dropped on open.
    public private(set) var repaired: String?

    /// Identifies an lt-send journal among SQLite files (`PRAGMA application_id`, "ltjr").
    static let applicationID: Int32 = 0x6C74_6A72

    public init(path: String) throws {
        self.path = path
        lock = try FileLock(path: path + ".lock", what: "the journal")
        // Whose file it is, read from its first page before SQLite touches it: another program's
        // database is refused before a byte of it changes (SQLite's first pragma would switch it to WAL).
        switch SQLiteFileHeader.read(path) {
        case .notSQLite:
            throw ConfigError(
                "the journal \(path) is not an lt-send journal (an older text journal, or another file)",
                hint: "give --journal a new path; lt-send never overwrites a file it cannot read")
        case .sqlite(let id, let hasSchema) where hasSchema && id != DeliveryJournal.applicationID:
            throw DeliveryJournal.foreign(path)
        default:
            break
        }
        // Never through a link; created 0600 (it holds learner ids), and its WAL takes that mode.
        try StateFile.prepare(path, what: "the journal", companions: ["-wal", "-shm"])
        repaired = DeliveryJournal.tornTail(walPath: path + "-wal")
        do {
            db = try SQLiteConnection(
                path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW)
            try db.execute("PRAGMA locking_mode = EXCLUSIVE")
            // Checked again through SQLite (a schema only in a WAL), still before anything writes.
            let id = try DeliveryJournal.integer(db, "PRAGMA application_id")
            let tables = try DeliveryJournal.integer(db, "SELECT count(*) FROM sqlite_master")
            if tables != 0 && id != Int64(DeliveryJournal.applicationID) { throw DeliveryJournal.foreign(path) }
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = FULL")
            // Every delivery turn commits, so the WAL grows a page or more per turn: checkpoint every
            // 100 pages (about 400 KB) instead of SQLite's 1000, and cut it back to 1 MB after, so that
            // a backfill's journal needs little room beyond its own size.
            try db.execute("PRAGMA wal_autocheckpoint = 100")
            try db.execute("PRAGMA journal_size_limit = 1048576")
            try db.execute(
                """
                PRAGMA application_id = \(DeliveryJournal.applicationID);
                CREATE TABLE IF NOT EXISTS scopes (scope INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE IF NOT EXISTS delivered (
                    scope INTEGER NOT NULL, id TEXT NOT NULL, delivered_at_ms INTEGER NOT NULL,
                    digest BLOB, total_seconds INTEGER, revision INTEGER NOT NULL DEFAULT 0, revision_of TEXT,
                    PRIMARY KEY (scope, id)) WITHOUT ROWID;
                """)
            try DeliveryJournal.addCorrectionColumns(db)
            // No whole-file check here: PRAGMA quick_check reads every page (40 s for 30 million ids).
            // A damaged header or schema fails above; damage found later is an IOError (exit 74).
            // A torn tail was dropped by SQLite; checkpoint so the warning is given once.
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            lookup = try db.prepare("SELECT 1 FROM delivered WHERE scope = ? AND id = ?")
            insert = try db.prepare(
                "INSERT OR IGNORE INTO delivered (scope, id, delivered_at_ms, digest, total_seconds, revision, "
                    + "revision_of) VALUES (?, ?, ?, ?, ?, ?, ?)")
            entryQuery = try db.prepare(
                "SELECT digest, total_seconds, revision FROM delivered WHERE scope = ? AND id = ?")
            revise = try db.prepare(
                "UPDATE delivered SET digest = ?, total_seconds = ?, revision = ? "
                    + "WHERE scope = ? AND id = ? AND revision < ?")
        } catch let e as SQLiteConnection.Failure {
            throw DeliveryJournal.openingError(path, e)
        }
    }

    /// The number for destination `name`, created on first use.
    public func scope(_ name: String) throws -> Int64 {
        if let s = scopes[name] { return s }
        do {
            let add = try db.prepare("INSERT OR IGNORE INTO scopes (name) VALUES (?)")
            defer { add.reset() }
            add.bind(1, name)
            _ = try add.step()
            let q = try db.prepare("SELECT scope FROM scopes WHERE name = ?")
            defer { q.reset() }
            q.bind(1, name)
            guard try q.step() else { throw ConfigError("the journal \(path) lost scope \(name)") }
            let s = q.int64(0)
            scopes[name] = s
            return s
        } catch let e as SQLiteConnection.Failure {
            throw ConfigError(
                "cannot write the journal \(path): \(e.message)", hint: "free disk space or fix permissions")
        }
    }

    /// True when `id` was delivered to destination `scope` in an earlier run or recorded in this one.
    public func contains(_ id: String, scope: Int64) throws -> Bool {
        if batch.contains(where: { $0.delivery.scope == scope && $0.delivery.id == id }) { return true }
        lookup.reset()
        lookup.bind(1, scope)
        lookup.bind(2, id)
        defer { lookup.reset() }
        do { return try lookup.step() } catch let e as SQLiteConnection.Failure {
            throw IOError(.reading, "cannot read the journal \(path): \(e.message)")
        }
    }

    /// What the journal knows of `id` delivered to `scope`, or nil when it was not (the latest
    /// revision recorded in this run counts too).
    public func entry(_ id: String, scope: Int64) throws -> Entry? {
        if let d = batch.last(where: { $0.delivery.scope == scope && ($0.delivery.revisionOf ?? $0.delivery.id) == id })
        {
            return Entry(
                digest: d.delivery.digest, totalSeconds: d.delivery.totalSeconds, revision: d.delivery.revision)
        }
        entryQuery.reset()
        entryQuery.bind(1, scope)
        entryQuery.bind(2, id)
        defer { entryQuery.reset() }
        do {
            guard try entryQuery.step() else { return nil }
            return Entry(
                digest: entryQuery.isNull(0) ? nil : entryQuery.blob(0),
                totalSeconds: entryQuery.isNull(1) ? nil : entryQuery.int64(1), revision: Int(entryQuery.int64(2)))
        } catch let e as SQLiteConnection.Failure {
            throw IOError(.reading, "cannot read the journal \(path): \(e.message)")
        }
    }

    /// Notes a delivered id without what corrections compare (tests, and callers without a payload).
    public func record(_ id: String, scope: Int64) {
        record(Delivery(id: id, scope: scope, digest: [], totalSeconds: nil))
    }

    /// Notes a delivery; it reaches the disk at the next ``sync()``.
    public func record(_ delivery: Delivery) {
        batch.append((delivery, Int64((Timestamps.now() * 1000).rounded())))
    }

    public var hasUnsynced: Bool { !batch.isEmpty }

    /// Forgets the ids not yet on disk, after a failed ``sync()`` that the caller has accounted for.
    public func discardUnsynced() { batch.removeAll(keepingCapacity: true) }

    /// The scope of `--url` deliveries: the URL, with a digest standing for its query string, which
    /// may hold a credential and is never written out.
    public static func scopeName(url: HTTPURL) -> String {
        guard url.hasQuery else { return "url:" + url.redacted }
        let digest = SHA256.hash(data: Array(url.text.utf8)).prefix(8).map {
            ($0 < 16 ? "0" : "") + String($0, radix: 16)
        }.joined()
        return "url:\(url.redacted)?sha256=\(digest)"
    }

    /// Ids recorded and not yet on disk.
    public var unsyncedCount: Int { batch.count }

    /// Writes the recorded ids in one transaction and waits until they are on disk. On failure
    /// (a full disk) the transaction is rolled back whole and the ids stay unsynced.
    public func sync() throws {
        guard !batch.isEmpty else { return }
        do {
            try db.execute("BEGIN IMMEDIATE")
            do {
                for (d, at) in batch {
                    insert.reset()
                    insert.bind(1, d.scope)
                    insert.bind(2, d.id)
                    insert.bind(3, at)
                    if d.digest.isEmpty { insert.bindNull(4) } else { insert.bind(4, d.digest) }
                    if let t = d.totalSeconds { insert.bind(5, t) } else { insert.bindNull(5) }
                    insert.bind(6, Int64(d.revision))
                    if let of = d.revisionOf { insert.bind(7, of) } else { insert.bindNull(7) }
                    defer { insert.reset() }
                    _ = try insert.step()
                    guard let of = d.revisionOf else { continue }
                    revise.reset()
                    defer { revise.reset() }
                    revise.bind(1, d.digest)
                    if let t = d.totalSeconds { revise.bind(2, t) } else { revise.bindNull(2) }
                    revise.bind(3, Int64(d.revision))
                    revise.bind(4, d.scope)
                    revise.bind(5, of)
                    revise.bind(6, Int64(d.revision))
                    _ = try revise.step()
                }
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        } catch let e as SQLiteConnection.Failure {
            throw IOError(.writing, "cannot write the journal \(path): \(e.message)")
        }
        batch.removeAll(keepingCapacity: true)
    }

    /// The number of entries, for tests and `--stats`.
    public func count() throws -> Int { Int(try DeliveryJournal.integer(db, "SELECT count(*) FROM delivered")) }

    /// Adds the columns corrections need to a journal of an earlier version (written in one
    /// transaction, so a journal is never left half migrated).
    private static func addCorrectionColumns(_ db: SQLiteConnection) throws {
        let q = try db.prepare("SELECT count(*) FROM pragma_table_info('delivered') WHERE name = 'digest'")
        let has = try q.step() && q.int64(0) > 0
        q.reset()
        guard !has else { return }
        try db.execute(
            """
            BEGIN IMMEDIATE;
            ALTER TABLE delivered ADD COLUMN digest BLOB;
            ALTER TABLE delivered ADD COLUMN total_seconds INTEGER;
            ALTER TABLE delivered ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE delivered ADD COLUMN revision_of TEXT;
            COMMIT;
            """)
    }

    /// The first column of the first row of `sql`, the statement finalized at once (an open
    /// statement would lock the schema).
    private static func integer(_ db: SQLiteConnection, _ sql: String) throws -> Int64 {
        let q = try db.prepare(sql)
        defer { q.reset() }
        return try q.step() ? q.int64(0) : 0
    }

    private static func foreign(_ path: String) -> ConfigError {
        ConfigError(
            "the journal \(path) is another program's SQLite database, not an lt-send journal; it was left as it is",
            hint: "give --journal a new path")
    }

    /// A description of the WAL's cut-off last frame, when a crash or a full disk left one.
    static func tornTail(walPath: String) -> String? {
        guard let size = FileBytes.signature(walPath)?.size, size > 32 else { return nil }
        let fd = open(walPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 32)
        guard read(fd, &header, 32) == 32 else { return nil }
        let pageSize = Int(header[8]) << 24 | Int(header[9]) << 16 | Int(header[10]) << 8 | Int(header[11])
        guard pageSize >= 512 else { return nil }
        let frame = 24 + pageSize
        let cut = (size - 32) % frame
        guard cut != 0 else { return nil }
        return "its last write was cut short (\(cut) bytes of an unfinished entry, by a crash or a full disk) and "
            + "was dropped: the deliveries in it were never reported, so their lines are sent again"
    }
}
