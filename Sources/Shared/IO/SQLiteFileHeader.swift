#if canImport(Glibc)
import Glibc
#endif

/// What the first page of a SQLite file says about whose it is, read with plain `read` calls:
/// no SQLite connection, no lock, no hot-journal rollback, so nothing of the file can change
/// before lt decides whether it may open it (the journal, the cache).
///
/// The database header is 100 bytes (the magic string, then at offset 68 the big-endian
/// `application_id`); page 1's b-tree header follows at offset 100 and holds `sqlite_schema`:
/// a leaf (`0x0D`) with no cells means no table, index or view at all.
public enum SQLiteFileHeader: Equatable {
    /// Missing or empty: SQLite makes a new database of it.
    case absent
    /// Bytes that are not a SQLite database.
    case notSQLite
    /// SQLite's magic string followed by a first page that cannot be read: damage for SQLite to report.
    case damaged
    /// A SQLite database with this `application_id`, and whether its schema holds anything.
    case sqlite(applicationID: Int32, hasSchema: Bool)

    public static func read(_ path: String) -> SQLiteFileHeader {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return .absent }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 108)
        var got = 0
        while got < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return parse(bytes[..<got])
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> SQLiteFileHeader {
        guard !bytes.isEmpty else { return .absent }
        let b = Array(bytes)
        guard b.count >= 16, b[0..<16] == Array("SQLite format 3\0".utf8)[...] else { return .notSQLite }
        guard b.count >= 108 else { return .damaged }
        let id = UInt32(b[68]) << 24 | UInt32(b[69]) << 16 | UInt32(b[70]) << 8 | UInt32(b[71])
        let pageType = b[100]
        let cells = Int(b[103]) << 8 | Int(b[104])
        guard pageType == 0x0D || pageType == 0x05 else { return .damaged }
        return .sqlite(applicationID: Int32(bitPattern: id), hasSchema: pageType == 0x05 || cells > 0)
    }
}
