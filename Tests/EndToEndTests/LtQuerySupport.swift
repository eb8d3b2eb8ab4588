import Foundation

/// Builders shared by the lt-query end-to-end tests.
enum LtQueryFixture {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    static let otherEnterprise = "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"

    /// A course-completion webhook payload for the key, as one JSON line.
    static func completion(user: Any, course: Any, enterprise: Any = LtQueryFixture.enterprise) -> String {
        let object: [String: Any] = [
            "user": ["id": user, "username": "learner"],
            "course": ["course_id": course],
            "completion": ["completion_date": "2026-01-10T15:30:00Z", "is_passing": true],
            "enterprise": ["enterprise_customer_uuid": enterprise],
        ]
        return String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The `lookup` member of each output record.
    static func lookups(_ out: ToolOutput) throws -> [[String: Any]] {
        try out.records().map { ($0["lookup"] as? [String: Any]) ?? [:] }
    }

    /// SQL text for a string literal.
    static func sqlString(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    /// The LEARNING_TIME schema, with the seconds column nullable so that NULL sums can be tested.
    static let schema = """
        CREATE TABLE LEARNING_TIME (USER_ID BIGINT NOT NULL, COURSE_KEY VARCHAR(255) NOT NULL,
          ENTERPRISE_CUSTOMER_UUID VARCHAR(36) NOT NULL, DATE DATE NOT NULL, LEARNING_TIME_SECONDS BIGINT);
        CREATE INDEX learning_time_key ON LEARNING_TIME (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID);

        """

    /// Rows for the awkward cases: odd course keys, NULL, zero, negative and large sums.
    static let awkwardRows: [(Int64, String, String, Int64?)] = [
        (1, "course-v1:edX+DemoX+Demo_Course", enterprise, 100),
        (1, "course-v1:edX+DemoX+Demo_Course", enterprise, 23),
        (2, #"course-v1:it's "quoted";%+x"#, enterprise, 50),
        (3, "course-v1:Écolé+Ünï+2026", enterprise, 70),
        (4, "course-v1:null", enterprise, nil),
        (5, "course-v1:zero", enterprise, 0),
        (6, "course-v1:negative", enterprise, -40),
        (6, "course-v1:negative", enterprise, 10),
        (7, "course-v1:big", enterprise, 2_000_000_000),
        (7, "course-v1:big", enterprise, 2_000_000_000),
    ]

    static func inserts(_ rows: [(Int64, String, String, Int64?)]) -> String {
        rows.enumerated().map { i, r in
            "INSERT INTO LEARNING_TIME VALUES (\(r.0), \(sqlString(r.1)), \(sqlString(r.2)), '2026-01-\(String(format: "%02d", i % 28 + 1))', \(r.3.map(String.init) ?? "NULL"));"
        }.joined(separator: "\n")
    }
}
