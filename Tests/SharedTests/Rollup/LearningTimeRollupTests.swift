import Testing

@testable import Shared

/// The default rule of docs/rollup.md on hand-computed vectors.
@Suite struct LearningTimeRollupTests {
    typealias F = RollupFixture

    static let handVector = ["10:00", "10:10", "10:50", "10:55"].map {
        F.server(time: "2026-01-10T\($0):00.000000+00:00")
    }

    @Test func dropCountsOnlyGapsWithinTheTimeout() {
        // 10 min + (40 min > 30: 0) + 5 min.
        #expect(F.rows(Self.handVector).rows.map(\.seconds) == [900])
    }

    @Test func truncateCountsTheTimeoutForALongGap() {
        var rule = RollupRule()
        rule.gapPolicy = .truncate
        // 10 min + 30 min + 5 min.
        #expect(F.rows(Self.handVector, rule: rule).rows.map(\.seconds) == [2700])
    }

    @Test func aGapAcrossMidnightIsSplitBetweenTheDays() {
        let lines = [
            F.server(time: "2026-01-10T23:50:00+00:00"), F.tutorBrowser(time: "2026-01-11T00:10:00.000000+00:00"),
        ]
        let rows = F.rows(lines).rows
        #expect(rows.map(\.date) == ["2026-01-10", "2026-01-11"])
        #expect(rows.map(\.seconds) == [600, 600])
    }

    @Test func aTruncatedGapAcrossMidnightIsSplitFromTheEarlierEvent() {
        var rule = RollupRule()
        rule.gapPolicy = .truncate
        let lines = [F.server(time: "2026-01-10T23:45:00Z"), F.server(time: "2026-01-11T09:00:00Z")]
        #expect(F.days(F.rows(lines, rule: rule).rows) == ["2026-01-10": 900, "2026-01-11": 900])
    }

    @Test func eventsAreSortedAcrossInputOrder() {
        let shuffled = [Self.handVector[2], Self.handVector[0], Self.handVector[3], Self.handVector[1]]
        #expect(F.rows(shuffled).rows.map(\.seconds) == [900])
    }

    @Test func theGapIsExactInMicrosecondsAndTheDayRoundsHalfAwayFromZero() {
        let half = [F.server(time: "2026-01-10T10:00:00.000000Z"), F.server(time: "2026-01-10T10:00:01.500000Z")]
        #expect(F.rows(half).rows.map(\.seconds) == [2])
        let under = [F.server(time: "2026-01-10T10:00:00.000000Z"), F.server(time: "2026-01-10T10:00:01.499999Z")]
        #expect(F.rows(under).rows.map(\.seconds) == [1])
        // Rounded per day, not per gap: three gaps of 0.4 s make 1 s.
        let small = (0..<4).map { F.server(time: "2026-01-10T10:00:0\($0 * 4 / 10).\($0 * 4 % 10)00000Z") }
        #expect(F.rows(small).rows.map(\.seconds) == [1])
    }

    @Test func aDayThatRoundsToNothingHasNoRow() {
        #expect(F.rows([F.server(time: "2026-01-10T10:00:00Z")]).rows.isEmpty)
    }

    @Test func exactDuplicateLinesCountOnce() {
        let line = F.server(time: "2026-01-10T10:05:00Z")
        let out = F.rows([Self.handVector[0], line, line, line, Self.handVector[1]])
        #expect(out.rows.map(\.seconds) == [600])
        #expect(out.rollup.tally[.duplicate] == 2)
        // Another event at the same microsecond is not a duplicate.
        let other = F.rows([line, F.server(time: "2026-01-10T10:05:00Z", name: "problem_show")])
        #expect(other.rollup.tally[.duplicate] == 0)
        #expect(other.result.events == 2)
    }

    @Test func eventsWithoutACourseDoNotBridgeGaps() {
        let lines = [
            F.server(time: "2026-01-10T10:00:00Z"), F.server(course: "", time: "2026-01-10T10:20:00Z"),
            F.server(time: "2026-01-10T10:40:00Z"),
        ]
        let out = F.rows(lines)
        #expect(out.rows.isEmpty)
        #expect(out.rollup.tally[.noCourse] == 1)
    }

    @Test func eachUserAndCourseIsItsOwnStreamAndRowsAreSorted() {
        let lines = [
            F.server(user: "7", course: "course-v1:B+B+B", time: "2026-01-10T10:00:00Z"),
            F.server(user: "6", course: "edX/DemoX/Demo_Course", time: "2026-01-10T10:00:00Z"),
            F.server(user: "7", course: "course-v1:B+B+B", time: "2026-01-10T10:01:00Z"),
            F.server(user: "6", course: "edX/DemoX/Demo_Course", time: "2026-01-10T10:02:00Z"),
            F.server(user: "6", course: "course-v1:A+A+A", time: "2026-01-10T10:01:00Z"),
            F.server(user: "6", course: "course-v1:A+A+A", time: "2026-01-10T10:04:00Z"),
        ]
        let rows = F.rows(lines).rows
        #expect(
            rows.map { "\($0.user) \($0.course) \($0.seconds)" } == [
                "6 course-v1:A+A+A 180", "6 edX/DemoX/Demo_Course 120", "7 course-v1:B+B+B 60",
            ])
    }

    @Test func enterprisesGiveARowEachAndUnattributedRowsAreLeftOut() {
        var enterprises = EnterpriseEnrollments()
        let other = "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"
        enterprises.add(user: 6, course: F.course, enterprise: other)
        enterprises.add(user: 6, course: F.course, enterprise: F.enterprise)
        let lines =
            Self.handVector + [
                F.server(user: "8", time: "2026-01-10T10:00:00Z"), F.server(user: "8", time: "2026-01-10T10:01:00Z"),
            ]
        let out = F.rows(lines, enterprises: enterprises, keepUnattributed: false)
        #expect(out.rows.map(\.enterprise) == [F.enterprise, other])
        #expect(out.rows.map(\.seconds) == [900, 900])
        #expect(out.result.unattributedRows == 1)
        let kept = F.rows(lines, enterprises: enterprises, keepUnattributed: true).rows
        #expect(kept.map(\.enterprise) == [F.enterprise, other, ""])
    }

    @Test func theIdleTimeoutIsInclusive() {
        var rule = RollupRule()
        rule.idleTimeout = 10 * 60 * 1_000_000
        let lines = [F.server(time: "2026-01-10T10:00:00Z"), F.server(time: "2026-01-10T10:10:00Z")]
        #expect(F.rows(lines, rule: rule).rows.map(\.seconds) == [600])
        let over = [F.server(time: "2026-01-10T10:00:00Z"), F.server(time: "2026-01-10T10:10:00.000001Z")]
        #expect(F.rows(over, rule: rule).rows.isEmpty)
    }

    @Test func theDaysCoveredAreThoseWithEvents() {
        let lines = [F.server(time: "2026-01-10T23:59:00Z"), F.server(time: "2026-01-12T00:10:00Z")]
        #expect(F.rows(lines).result.days.map { EventTime.dateText(day: $0) } == ["2026-01-10", "2026-01-12"])
    }
}
