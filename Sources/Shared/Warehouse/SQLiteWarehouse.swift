import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// The embedded warehouse: a SQLite file holding the LEARNING_TIME table, opened read-only.
///
/// SQLite has no databases or schemas in the warehouse's sense, so a dotted table name uses
/// its last part (`PROD.BUSINESS_INTELLIGENCE.LEARNING_TIME` reads `LEARNING_TIME`).
public final class SQLiteWarehouse: Warehouse {
    public let displayName: String
    private let connection: SQLiteConnection
    private let spec: TableSpec
    private var statements: [Int: SQLiteConnection.Statement] = [:]

    public init(path: String, spec: TableSpec) throws {
        displayName = "sqlite:\(path)"
        self.spec = spec
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw WarehouseError.misconfigured("the SQLite warehouse \(path) does not exist",
                                               hint: "create it (see examples/warehouse.sql) or point --warehouse at another file")
        }
        do {
            connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READONLY)
            try connection.execute("PRAGMA query_only = 1")
            _ = try connection.prepare("SELECT \(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), \(spec.secondsColumn) FROM \(SQLiteWarehouse.tableName(spec)) LIMIT 0")
        } catch let e as SQLiteConnection.Failure {
            throw WarehouseError.misconfigured("cannot read table \(SQLiteWarehouse.tableName(spec)) in \(path): \(e.message)",
                                               hint: "check --table and the column options against the file's schema")
        }
    }

    /// The table was checked when the file was opened.
    public func verify() {}

    private var tableName: String { SQLiteWarehouse.tableName(spec) }

    private static func tableName(_ spec: TableSpec) -> String { String(spec.table.split(separator: ".").last!) }

    func sql(count: Int) -> String {
        let tuples = Array(repeating: "(?,?,?)", count: count).joined(separator: ",")
        return """
            SELECT \(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), SUM(\(spec.secondsColumn)) \
            FROM \(tableName) WHERE (\(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn)) IN (VALUES \(tuples)) \
            GROUP BY 1, 2, 3
            """
    }

    public func totals(for keys: [LookupKey]) throws -> [LookupKey: Int64] {
        guard !keys.isEmpty else { return [:] }
        do {
            let stmt: SQLiteConnection.Statement
            if let s = statements[keys.count] { stmt = s } else {
                stmt = try connection.prepare(sql(count: keys.count))
                if statements.count > 16 { statements.removeAll() }
                statements[keys.count] = stmt
            }
            stmt.reset()
            for (i, k) in keys.enumerated() {
                stmt.bind(Int32(i * 3 + 1), k.userID)
                stmt.bind(Int32(i * 3 + 2), k.courseID)
                stmt.bind(Int32(i * 3 + 3), k.enterpriseID)
            }
            var out: [LookupKey: Int64] = [:]
            while try stmt.step() {
                if stmt.isNull(3) { continue }
                out[LookupKey(userID: stmt.int64(0), courseID: stmt.string(1), enterpriseID: stmt.string(2))] = stmt.int64(3)
            }
            stmt.reset()
            return out
        } catch let e as SQLiteConnection.Failure {
            if e.message.contains("integer overflow") {
                throw WarehouseError.misconfigured("a total in \(tableName) does not fit in 64 bits: \(e.message)",
                                                   hint: "check that --seconds-column names a column of whole seconds")
            }
            throw WarehouseError.queryFailed(e.message)
        }
    }

    public func explain(_ keys: [LookupKey]) -> String {
        var text = sql(count: keys.count) + "\n"
        for (i, k) in keys.enumerated() {
            text += "-- ?\(i * 3 + 1) = \(k.userID), ?\(i * 3 + 2) = '\(k.courseID)', ?\(i * 3 + 3) = '\(k.enterpriseID)'\n"
        }
        return text
    }
}
