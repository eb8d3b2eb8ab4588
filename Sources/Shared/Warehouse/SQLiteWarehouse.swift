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
            throw WarehouseError.misconfigured(
                "the SQLite warehouse \(path) does not exist",
                hint: "create it (see examples/warehouse.sql) or point --warehouse at another file")
        }
        do {
            connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READONLY)
            try connection.execute("PRAGMA query_only = 1")
            let date = spec.readsLatestDate ? ", \(spec.dateColumn)" : ""
            _ = try connection.prepare(
                "SELECT \(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), \(spec.secondsColumn)\(date) FROM \(SQLiteWarehouse.tableName(spec)) LIMIT 0"
            )
        } catch let e as SQLiteConnection.Failure {
            throw WarehouseError.misconfigured(
                "cannot read table \(SQLiteWarehouse.tableName(spec)) in \(path): \(e.message)",
                hint: "check --table and the column options against the file's schema")
        }
    }

    /// The table was checked when the file was opened.
    public func verify() {}

    private var tableName: String { SQLiteWarehouse.tableName(spec) }

    private static func tableName(_ spec: TableSpec) -> String { String(spec.table.split(separator: ".").last!) }

    /// The keys join the table rather than filter it: SQLite answers `(a, b, c) IN (VALUES …)` by
    /// scanning the whole table once per batch, and a join by one index search per key. The keys
    /// must be distinct (``query(_:)``): the join would sum a repeated key's rows twice. (`SELECT
    /// DISTINCT` over the values would make SQLite index the whole table for every statement.)
    ///
    /// The enterprise UUID matches in any case (the keys' are lower case; the index still narrows
    /// by user and course), and the key comes back as bound, so rows written `A1B2…` and `a1b2…`
    /// make one total. SQLite's type affinity keeps text such as `'18540abc'` in an INTEGER column,
    /// and `SUM` would read it as 18540: the fifth and sixth columns count such rows and show one.
    func sql(count: Int) -> String {
        let tuples = Array(repeating: "(?,?,?)", count: count).joined(separator: ",")
        let s = "t.\(spec.secondsColumn)"
        let notNumber =
            "typeof(\(s)) NOT IN ('integer', 'real', 'null') AND NOT (typeof(\(s)) = 'text' "
            + "AND CAST(CAST(\(s) AS INTEGER) AS TEXT) = \(s))"
        let date = spec.readsLatestDate ? ", MAX(t.\(spec.dateColumn))" : ""
        return """
            WITH k(u, c, e) AS (VALUES \(tuples)) \
            SELECT k.u, k.c, k.e, SUM(\(s)), SUM(\(notNumber)), MIN(CASE WHEN \(notNumber) THEN quote(\(s)) END)\(date) \
            FROM k JOIN \(tableName) AS t ON t.\(spec.userColumn) = k.u AND t.\(spec.courseColumn) = k.c \
            AND lower(t.\(spec.enterpriseColumn)) = k.e GROUP BY k.u, k.c, k.e
            """
    }

    public func answer(for keys: [LookupKey]) throws -> WarehouseAnswer {
        guard !keys.isEmpty else { return WarehouseAnswer() }
        do {
            return try query(keys)
        } catch let e as SQLiteConnection.Failure where e.message.contains("integer overflow") && keys.count > 1 {
            // SQLite ends the whole statement when one sum overflows: ask key by key to find it.
            var out = WarehouseAnswer()
            for k in keys {
                let one = try answer(for: [k])
                out.totals.merge(one.totals) { a, _ in a }
                out.rejected.merge(one.rejected) { a, _ in a }
            }
            return out
        } catch let e as SQLiteConnection.Failure where e.message.contains("integer overflow") {
            return WarehouseAnswer(rejected: [keys[0]: "does not fit in 64 bits"])
        } catch let e as SQLiteConnection.Failure {
            throw WarehouseError.queryFailed(e.message)
        }
    }

    private func query(_ keys: [LookupKey]) throws -> WarehouseAnswer {
        var seen = Set<LookupKey>()
        let keys = keys.filter { seen.insert($0).inserted }
        let stmt: SQLiteConnection.Statement
        if let s = statements[keys.count] {
            stmt = s
        } else {
            stmt = try connection.prepare(sql(count: keys.count))
            if statements.count > 16 { statements.removeAll() }
            statements[keys.count] = stmt
        }
        stmt.reset()
        defer { stmt.reset() }
        for (i, k) in keys.enumerated() {
            stmt.bind(Int32(i * 3 + 1), k.userID)
            stmt.bind(Int32(i * 3 + 2), k.courseID)
            stmt.bind(Int32(i * 3 + 3), k.enterpriseID)
        }
        var out = WarehouseAnswer()
        while try stmt.step() {
            let key = LookupKey(userID: stmt.int64(0), courseID: stmt.string(1), enterpriseID: stmt.string(2))
            if spec.readsLatestDate, !stmt.isNull(6) { out.latestDates[key] = stmt.string(6) }
            if stmt.int64(4) > 0 {
                let n = stmt.int64(4)
                out.rejected[key] =
                    "is not a whole number: \(n) row\(n == 1 ? "" : "s") of \(spec.secondsColumn) "
                    + "\(n == 1 ? "holds" : "hold") a value that is not a number (such as \(stmt.string(5).prefix(40)))"
                continue
            }
            if stmt.isNull(3) { continue }
            if stmt.isInteger(3) {
                out.totals[key] = stmt.int64(3)
                continue
            }
            // A REAL column sums to a REAL: whole values are fine, fractions are not seconds.
            let d = stmt.double(3)
            if d.isFinite, d == d.rounded(), abs(d) < 9.2e18 {
                out.totals[key] = Int64(d)
            } else {
                out.rejected[key] = "is \(d), not a whole number of seconds that fits in 64 bits"
            }
        }
        return out
    }

    public func explain(_ keys: [LookupKey]) -> String {
        var text = sql(count: keys.count) + "\n"
        for (i, k) in keys.enumerated() {
            text +=
                "-- ?\(i * 3 + 1) = \(k.userID), ?\(i * 3 + 2) = '\(k.courseID)', ?\(i * 3 + 3) = '\(k.enterpriseID)'\n"
        }
        return text
    }
}
