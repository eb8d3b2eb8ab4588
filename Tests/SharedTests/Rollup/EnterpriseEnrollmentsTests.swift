import Testing

@testable import Shared

/// The `--enterprises` CSV: header, quoting, UUID forms, and bad rows named by file and line.
@Suite struct EnterpriseEnrollmentsTests {
    func parse(_ text: String) throws -> EnterpriseEnrollments {
        try EnterpriseEnrollments.parse(Array(text.utf8), source: "ent.csv")
    }

    @Test func readsTheExportInAnyColumnOrder() throws {
        let e = try parse(
            "enterprise_customer_uuid,user_id,course_key,extra\r\n"
                + "A1B2C3D4E5F67890ABCDEF1234567890,6,course-v1:edX+DemoX+Demo_Course,x\r\n"
                + "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f,6,\"course-v1:edX+DemoX+Demo_Course\",y\n"
                + "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f,6,course-v1:edX+DemoX+Demo_Course,dup\n\n")
        #expect(
            e.enterprises(user: 6, course: "course-v1:edX+DemoX+Demo_Course") == [
                "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f",
            ])
        #expect(e.enterprises(user: 7, course: "course-v1:edX+DemoX+Demo_Course") == [])
    }

    @Test(arguments: [
        ("user_id,course_key\n", "ent.csv:1"),
        ("user_id,course_key,enterprise_customer_uuid\nsix,c,a1b2c3d4e5f67890abcdef1234567890\n", "ent.csv:2"),
        ("user_id,course_key,enterprise_customer_uuid\n6,c,not-a-uuid\n", "ent.csv:2"),
        ("user_id,course_key,enterprise_customer_uuid\n6,c\n", "ent.csv:2"),
        ("user_id,course_key,enterprise_customer_uuid\n6,\"c,a1b2c3d4e5f67890abcdef1234567890\n", "ent.csv:2"),
        ("", "ent.csv is empty"),
    ])
    func badRowsAreConfigurationErrorsSayingWhere(_ text: String, _ at: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch let e as ConfigError {
            #expect(e.message.hasPrefix(at), "\(e.message)")
            #expect(!e.hint.isEmpty)
        } catch { Issue.record("\(error)") }
    }
}
