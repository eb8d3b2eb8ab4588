import CSQLite

/// Where `--into` writes the rollup: the LEARNING_TIME table of a SQLite file or a PostgreSQL
/// database, addressed as lt-query's `--warehouse` is, with the same table and column options.
///
/// A run replaces, in one transaction, every row of each UTC day its input covers
/// (``RollupResult/days``) with the rows it computed, inserting by primary key (an upsert, so
/// rows of the same key written meanwhile are overwritten rather than refused). Re-running over
/// the same logs therefore changes nothing, a later day's logs add that day, and recomputing a
/// day replaces it whole, never leaving half of it.
public protocol RollupTable {
    /// Replaces the rows of `days` by `rows`; returns how many rows were written.
    func replace(days: [Int64], with rows: [RollupRow]) throws -> Int
}

public enum RollupTables {
    /// Opens the table for writing; configuration problems throw at once.
    public static func open(_ address: String, spec: TableSpec) throws -> RollupTable {
        switch try WarehouseAddress.kind(of: address) {
        case .sqlite(let path): return try SQLiteRollupTable(path: path, spec: spec)
        case .postgres(let conninfo): return try PostgresRollupTable(address: conninfo, spec: spec)
        case .snowflake:
            throw ConfigError(
                "lt-rollup cannot write to Snowflake",
                hint:
                    "write NDJSON or CSV (--format csv) and load it with COPY INTO, or use --into sqlite: or postgres://"
            )
        }
    }

    /// `INSERT … ON CONFLICT (key) DO UPDATE`, the form both SQLite (3.24+) and PostgreSQL take.
    static func upsert(_ spec: TableSpec, table: String, values: String) -> String {
        let key = [spec.userColumn, spec.courseColumn, spec.enterpriseColumn, spec.dateColumn].joined(separator: ", ")
        return """
            INSERT INTO \(table) (\(key), \(spec.secondsColumn)) \(values) \
            ON CONFLICT (\(key)) DO UPDATE SET \(spec.secondsColumn) = excluded.\(spec.secondsColumn)
            """
    }
}

/// The rollup table in a SQLite file, created (with examples/warehouse.sql's schema) when missing.
/// A dotted `--table` uses its last part, as lt-query's SQLite warehouse does.
final class SQLiteRollupTable: RollupTable {
    private let connection: SQLiteConnection
    private let spec: TableSpec
    private let table: String

    init(path: String, spec: TableSpec) throws {
        self.spec = spec
        table = String(spec.table.split(separator: ".").last!)
        do {
            connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try connection.execute("PRAGMA busy_timeout = 10000")
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS \(table) (\(spec.userColumn) INTEGER NOT NULL, \
                \(spec.courseColumn) VARCHAR(255) NOT NULL, \(spec.enterpriseColumn) VARCHAR(36) NOT NULL, \
                \(spec.dateColumn) DATE NOT NULL, \(spec.secondsColumn) INTEGER NOT NULL, \
                PRIMARY KEY (\(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), \(spec.dateColumn)))
                """)
        } catch let e as SQLiteConnection.Failure {
            throw WarehouseError.misconfigured(
                "cannot write table \(table) in \(path): \(e.message)",
                hint: "check the path, its permissions, and --table and the column options against the file's schema")
        }
    }

    func replace(days: [Int64], with rows: [RollupRow]) throws -> Int {
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let delete = try connection.prepare("DELETE FROM \(table) WHERE \(spec.dateColumn) = ?")
                for day in days {
                    delete.reset()
                    delete.bind(1, EventTime.dateText(day: day))
                    _ = try delete.step()
                }
                let insert = try connection.prepare(
                    RollupTables.upsert(spec, table: table, values: "VALUES (?, ?, ?, ?, ?)"))
                for r in rows {
                    insert.reset()
                    insert.bind(1, r.user)
                    insert.bind(2, r.course)
                    insert.bind(3, r.enterprise)
                    insert.bind(4, r.date)
                    insert.bind(5, r.seconds)
                    _ = try insert.step()
                }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch let e as SQLiteConnection.Failure {
            throw WarehouseError.misconfigured(
                "cannot write the rollup into \(connection.path): \(e.message); nothing was changed",
                hint: "check --table and the column options against the file's schema")
        }
        return rows.count
    }
}

/// The rollup table in PostgreSQL (which must exist: see examples/warehouse.sql). Rows go in
/// batches as arrays (`unnest`), so a day of a large site is a few statements, not one per row.
final class PostgresRollupTable: RollupTable {
    private let connection: PostgresConnection
    private let spec: TableSpec
    private let address: String
    static let batch = 10_000

    init(address: String, spec: TableSpec) throws {
        self.spec = spec
        self.address = WarehouseAddress.redacted(address)
        do {
            connection = try PostgresConnection(address: address, tool: "lt-rollup")
            try connection.prepare(
                "delete_days", "DELETE FROM \(spec.table) WHERE \(spec.dateColumn) = ANY($1::date[])", parameterCount: 1
            )
            try connection.prepare(
                "upsert",
                RollupTables.upsert(
                    spec, table: spec.table,
                    values: "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::bigint[])"),
                parameterCount: 5)
        } catch let e as PostgresConnection.Failure {
            throw e.connectionLost
                ? WarehouseError.unavailable("\(self.address): \(e.description)")
                : WarehouseError.misconfigured(
                    "cannot write table \(spec.table) at \(self.address): \(e.description)",
                    hint: "create it (see examples/warehouse.sql) and grant INSERT, UPDATE and DELETE on it")
        }
    }

    func replace(days: [Int64], with rows: [RollupRow]) throws -> Int {
        do {
            try connection.execute("BEGIN")
            do {
                try connection.execute(
                    prepared: "delete_days", ["{" + days.map(EventTime.dateText(day:)).joined(separator: ",") + "}"])
                var from = 0
                while from < rows.count {
                    let chunk = rows[from..<min(rows.count, from + Self.batch)]
                    try connection.execute(prepared: "upsert", Self.arrays(chunk))
                    from += chunk.count
                }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch let e as PostgresConnection.Failure {
            throw e.connectionLost
                ? WarehouseError.unavailable("\(address): \(e.description); nothing was changed")
                : WarehouseError.misconfigured(
                    "cannot write the rollup into \(spec.table) at \(address): \(e.description); nothing was changed",
                    hint: "check --table and the column options, and the grants (INSERT, UPDATE, DELETE)")
        }
        return rows.count
    }

    /// The rows as five PostgreSQL array literals, one per column.
    static func arrays(_ rows: ArraySlice<RollupRow>) -> [String] {
        var columns = [[UInt8]](repeating: [UInt8(ascii: "{")], count: 5)
        for (n, r) in rows.enumerated() {
            if n > 0 { for i in 0..<5 { columns[i].append(UInt8(ascii: ",")) } }
            columns[0].append(contentsOf: String(r.user).utf8)
            PostgresWarehouse.appendQuoted(r.course, to: &columns[1])
            PostgresWarehouse.appendQuoted(r.enterprise, to: &columns[2])
            columns[3].append(contentsOf: r.date.utf8)
            columns[4].append(contentsOf: String(r.seconds).utf8)
        }
        return columns.map { String(decoding: $0 + [UInt8(ascii: "}")], as: UTF8.self) }
    }
}
