import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// Owns one sqlite3 handle and turns its result codes into errors; nothing else sees a C pointer.
public final class SQLiteConnection {
    let db: OpaquePointer
    public let path: String

    public struct Failure: Error, CustomStringConvertible {
        public let code: Int32
        public let message: String
        public var description: String { message }
        /// The file is not a database or is damaged.
        public var isCorrupt: Bool { code & 0xFF == SQLITE_CORRUPT || code & 0xFF == SQLITE_NOTADB }
    }

    public init(path: String, flags: Int32) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw Failure(code: rc, message: message)
        }
        db = handle
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(db) }

    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(err)
            throw Failure(code: rc, message: message)
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw failure(rc) }
        return Statement(stmt: stmt, connection: self)
    }

    func failure(_ rc: Int32) -> Failure { Failure(code: rc, message: String(cString: sqlite3_errmsg(db))) }

    /// A prepared statement, reset and re-bound for each use.
    public final class Statement {
        let stmt: OpaquePointer
        let connection: SQLiteConnection

        init(stmt: OpaquePointer, connection: SQLiteConnection) {
            self.stmt = stmt
            self.connection = connection
        }

        deinit { sqlite3_finalize(stmt) }

        public func reset() {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }

        public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(stmt, index, value) }
        public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(stmt, index, value) }
        public func bindNull(_ index: Int32) { sqlite3_bind_null(stmt, index) }
        public func bind(_ index: Int32, _ value: String) {
            sqlite3_bind_text(stmt, index, value, -1, lt_sqlite_transient())
        }
        public func bind(_ index: Int32, _ value: [UInt8]) {
            value.withUnsafeBytes {
                sqlite3_bind_blob(stmt, index, $0.baseAddress, Int32($0.count), lt_sqlite_transient())
            }
        }

        /// Steps once: true when a row is available, false when done.
        public func step() throws -> Bool {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            throw connection.failure(rc)
        }

        public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
        public func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
        public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
        public func isInteger(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_INTEGER }
        /// True when the column's text is exactly `text`, compared without building a String.
        public func text(_ column: Int32, equals text: String) -> Bool {
            guard let p = sqlite3_column_text(stmt, column) else { return false }
            let n = Int(sqlite3_column_bytes(stmt, column))
            var text = text
            return text.withUTF8 { u in u.count == n && (n == 0 || memcmp(u.baseAddress!, p, n) == 0) }
        }

        public func blob(_ column: Int32) -> [UInt8] {
            let n = Int(sqlite3_column_bytes(stmt, column))
            guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        }

        public func string(_ column: Int32) -> String {
            guard let p = sqlite3_column_text(stmt, column) else { return "" }
            return String(cString: p)
        }
    }
}
