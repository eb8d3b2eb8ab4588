import Testing

@testable import Shared

/// The parts of the PostgreSQL warehouse that need no server: array literals, SQL text, addresses.
@Suite struct PostgresWarehouseTests {
    @Test func arrayLiteralsEscapeQuotesAndBackslashes() {
        let keys = [
            LookupKey(
                userID: 1, courseID: #"course-v1:a"b\c;%+é"#, enterpriseID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890"),
            LookupKey(userID: 22, courseID: "x,y{z}", enterpriseID: "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"),
        ]
        let a = PostgresWarehouse.arrays(keys)
        #expect(a[0] == "{1,22}")
        #expect(a[1] == #"{"course-v1:a\"b\\c;%+é","x,y{z}"}"#)
        #expect(a[2] == #"{"a1b2c3d4-e5f6-7890-abcd-ef1234567890","f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"}"#)
    }

    @Test func sqlUsesTheConfiguredNamesUnquotedAndOnlyParameters() throws {
        var spec = TableSpec()
        spec.table = "analytics.LEARNING_TIME"
        spec.courseColumn = "COURSERUN_KEY"
        let w = try PostgresWarehouse(address: "host=127.0.0.1 dbname=x", spec: spec)
        #expect(w.sql.contains("JOIN analytics.LEARNING_TIME t ON t.USER_ID = k.u AND t.COURSERUN_KEY = k.c"))
        #expect(w.sql.contains("unnest($1::bigint[], $2::text[], $3::text[])"))
        let explained = w.explain([LookupKey(userID: 7, courseID: "c'1", enterpriseID: "e")])
        #expect(explained.contains("-- $1 = '{7}'"))
        #expect(!w.sql.contains("c'1"))
    }

    @Test func malformedAddressIsAConfigurationError() {
        #expect(throws: WarehouseError.self) {
            try PostgresWarehouse(address: "host=127.0.0.1 nosuchoption=1", spec: TableSpec())
        }
        do {
            _ = try PostgresWarehouse(address: "postgres://u:secret@h:notaport/db?bogus=1", spec: TableSpec())
            Issue.record("accepted a bad address")
        } catch let e as WarehouseError {
            #expect(e.kind == .configuration)
            #expect(!e.description.contains("secret"))
        } catch { Issue.record("\(error)") }
    }

    @Test func unreachableServerIsUnavailableNotMisconfigured() throws {
        // Port 1 on loopback refuses at once.
        let w = try PostgresWarehouse(address: "host=127.0.0.1 port=1 dbname=x connect_timeout=2", spec: TableSpec())
        do {
            _ = try w.answer(for: [LookupKey(userID: 1, courseID: "c", enterpriseID: "e")])
            Issue.record("a closed port answered")
        } catch let e as WarehouseError {
            guard case .unavailable = e else { Issue.record("expected unavailable, got \(e)"); return }
            #expect(e.kind == .unavailable)
        }
    }
}
