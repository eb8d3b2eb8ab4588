import Testing

@testable import Shared

/// Warehouse addresses, their redaction, and the table and column names a query may use.
@Suite struct WarehouseAddressTests {
    @Test func kinds() throws {
        #expect(try WarehouseAddress.kind(of: "sqlite:/tmp/w.db") == .sqlite(path: "/tmp/w.db"))
        #expect(try WarehouseAddress.kind(of: "sqlite:///tmp/w.db") == .sqlite(path: "/tmp/w.db"))
        #expect(try WarehouseAddress.kind(of: "postgres://db/x") == .postgres(conninfo: "postgres://db/x"))
        #expect(try WarehouseAddress.kind(of: "service=warehouse") == .postgres(conninfo: "service=warehouse"))
        #expect(throws: ConfigError.self) { try WarehouseAddress.kind(of: "mysql://db/x") }
        #expect(throws: ConfigError.self) { try WarehouseAddress.kind(of: "sqlite:") }
    }

    @Test func passwordsAreRedacted() {
        #expect(WarehouseAddress.redacted("postgres://bob:hunter2@db:5432/x") == "postgres://bob:***@db:5432/x")
        #expect(WarehouseAddress.redacted("host=db password=hunter2 dbname=x") == "host=db password=*** dbname=x")
        #expect(WarehouseAddress.redacted("host=db password='a b c' dbname=x") == "host=db password=*** dbname=x")
        #expect(
            WarehouseAddress.redacted("postgres://db/x?sslmode=require&password=hunter2")
                == "postgres://db/x?sslmode=require&password=***")
    }

    @Test func identifiersAreStrict() {
        var spec = TableSpec()
        #expect(throws: Never.self) { try spec.validate() }
        for bad in ["LEARNING TIME", "x;drop", "\"q\"", "a..b", "1abc", "", "a.b.c.d"] {
            spec.table = bad
            #expect(throws: ConfigError.self, "\(bad)") { try spec.validate() }
        }
        spec = TableSpec()
        spec.courseColumn = "a.b"
        #expect(throws: ConfigError.self) { try spec.validate() }
    }
}
