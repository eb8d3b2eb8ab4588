import CSQLite
import Testing

@testable import Shared

/// The embedded warehouse on a real SQLite file: sums per key, and a statement that searches the
/// table's key index instead of scanning the table for every batch.
@Suite struct SQLiteWarehouseTests {
    static let e0 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    /// A warehouse file with the specification's table and primary key, and two days for each of three keys.
    func warehouseFile() throws -> ScratchFile {
        let file = try ScratchFile()
        let db = try SQLiteConnection(path: file.path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try db.execute(
            """
            CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255), ENTERPRISE_CUSTOMER_UUID VARCHAR(36),
              DATE DATE, LEARNING_TIME_SECONDS INTEGER,
              PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE));
            INSERT INTO LEARNING_TIME VALUES
              (1, 'c1', '\(Self.e0)', '2026-01-01', 100), (1, 'c1', '\(Self.e0)', '2026-01-02', 20),
              (1, 'c2', '\(Self.e0)', '2026-01-01', 7), (2, 'c1', '\(Self.e0)', '2026-01-01', 3000),
              (2, 'c1', '\(Self.e0)', '2026-01-03', 1);
            """)
        return file
    }

    @Test func eachKeyGetsTheSumOfItsDaysOnceHoweverOftenItIsAsked() throws {
        let file = try warehouseFile()
        let w = try SQLiteWarehouse(path: file.path, spec: TableSpec())
        let k1 = LookupKey(userID: 1, courseID: "c1", enterpriseID: Self.e0)
        let k2 = LookupKey(userID: 2, courseID: "c1", enterpriseID: Self.e0)
        let k3 = LookupKey(userID: 1, courseID: "c2", enterpriseID: Self.e0)
        let none = LookupKey(userID: 3, courseID: "c1", enterpriseID: Self.e0)
        let totals = try w.answer(for: [k1, k2, k1, none, k3, k1]).totals
        #expect(totals == [k1: 120, k2: 3001, k3: 7])
    }

    @Test func theBatchStatementSearchesTheKeyIndex() throws {
        let file = try warehouseFile()
        let w = try SQLiteWarehouse(path: file.path, spec: TableSpec())
        let db = try SQLiteConnection(path: file.path, flags: SQLITE_OPEN_READONLY)
        let plan = try db.prepare("EXPLAIN QUERY PLAN " + w.sql(count: 3))
        var steps: [String] = []
        while try plan.step() { steps.append(plan.string(3)) }
        #expect(steps.contains { $0.hasPrefix("SEARCH t USING") && $0.contains("INDEX") }, "\(steps)")
        #expect(!steps.contains { $0.hasPrefix("SCAN t") || $0.contains("AUTOMATIC") }, "\(steps)")
    }
}
