import Foundation
import Testing

/// The same on the Snowflake stand-in (snowduck behind scripts/snowflake-standin.py).
@Suite struct TrueLearningTimeSnowflakeTests {
    typealias F = LtQueryFixture
    static let seed = """
        CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255), ENTERPRISE_CUSTOMER_UUID VARCHAR(36), DATE DATE, LEARNING_TIME_SECONDS DOUBLE);
        INSERT INTO LEARNING_TIME VALUES
          (12345, 'course-v1:edX+DemoX+Demo_Course', '\(F.enterprise.uppercased())', '2026-01-05', 18000),
          (12345, 'course-v1:edX+DemoX+Demo_Course', '\(F.enterprise)', '2026-01-09', 540),
          (6, 'course-v1:X+Fraction', '\(F.enterprise)', '2026-01-09', 0.5),
          (6, 'course-v1:X+Fraction', '\(F.enterprise)', '2026-01-10', 1);

        """

    @Test(.enabled(if: Services.hasSnowflake, Services.snowflakeNote))
    func uuidsInAnyCaseAFractionForItsKeyAloneAndTheLatestDay() throws {
        let sf = try LtQuerySnowflakeTests.StandIn(python: try Services.snowflakePython(), seed: Self.seed)
        let input =
            [
                F.completion(
                    user: 12345, course: "course-v1:edX+DemoX+Demo_Course", enterprise: F.enterprise.uppercased()),
                F.completion(user: 6, course: "course-v1:X+Fraction"),
                F.completion(user: 12345, course: "course-v1:EDX+DemoX+Demo_Course"),
            ].joined(separator: "\n") + "\n"
        let out = try Tool.run(
            "lt-query", ["--warehouse", sf.address, "--no-cache", "--flag", "on", "--last-updated", "rows"],
            stdin: input, env: sf.env)
        #expect(out.status == 1, "the fraction is an error")
        let lookups = try F.lookups(out)
        try #require(lookups.count == 3)
        #expect(lookups[0]["total_seconds"] as? Int == 18540, "\(lookups[0]) \(out.stderr)")
        #expect(lookups[0]["last_updated"] as? String == "2026-01-10T00:00:00Z")
        #expect(lookups[1]["status"] as? String == "unavailable")
        #expect((lookups[1]["error"] as? String)?.contains("1.5") == true, "\(lookups[1])")
        #expect(lookups[2]["status"] as? String == "not_found")
    }
}
