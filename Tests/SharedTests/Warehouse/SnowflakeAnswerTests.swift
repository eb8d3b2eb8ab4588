import Foundation
import Testing

@testable import Shared

/// Snowflake SQL API answers decoded with Codable, and which errors are permanent.
@Suite struct SnowflakeAnswerTests {
    func decode(_ json: String, status: Int = 200) throws -> SnowflakeAnswer {
        try SnowflakeAnswer.decode(Array(json.utf8), status: status, from: "Snowflake")
    }

    @Test func rowsAndPartitionsDecode() throws {
        let a = try decode(
            #"""
            {"statementHandle":"01b2-c3",
             "resultSetMetaData":{"numRows":2,"partitionInfo":[{"rowCount":1},{"rowCount":1}]},
             "data":[["12345","course-v1:x","a1b2",null]],"code":"090001"}
            """#)
        #expect(a.statementHandle == "01b2-c3")
        #expect(a.resultSetMetaData?.numRows == 2)
        #expect(a.resultSetMetaData?.partitionInfo?.map(\.rowCount) == [1, 1])
        #expect(a.data?.first == ["12345", "course-v1:x", "a1b2", nil])
    }

    @Test func aBodyThatIsNotAnAnswerIsAnOutageNotAnEmptyResult() {
        for body in ["", "<html>proxy error</html>", #"{"data":[[1,2,3,4]]}"#] {
            #expect(throws: WarehouseError.self) { try decode(body) }
            do { _ = try decode(body) } catch let e as WarehouseError {
                #expect(!e.isPermanent)
                if case .unavailable = e {} else { Issue.record("\(e) is not unavailable") }
            } catch { Issue.record("\(error)") }
        }
    }

    @Test func authenticationAndAuthorizationErrorsArePermanent() throws {
        for (code, state) in [
            ("390144", "08001"), ("002003", "02000"), ("003001", "42501"), ("000606", "57P03"),
            ("001003", "42000"), ("100000", "28000"),
        ] {
            let a = try decode(#"{"code":"\#(code)","sqlState":"\#(state)","message":"m"}"#, status: 422)
            #expect(a.isPermanent, "\(code) \(state)")
        }
        for (code, state) in [("000604", "57014"), ("000630", "57014"), ("100035", "22000")] {
            let a = try decode(#"{"code":"\#(code)","sqlState":"\#(state)","message":"m"}"#, status: 422)
            #expect(!a.isPermanent, "\(code) \(state)")
        }
    }
}
