import Testing

@testable import Shared

/// Tracking-log times to microseconds in UTC, and days back to dates.
@Suite struct EventTimeTests {
    func parse(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { EventTime.parse($0) }
    }

    @Test func theFormsTheLMSWrites() {
        let t: Int64 = 1_768_039_200_000_000  // 2026-01-10T10:00:00Z
        #expect(parse("2026-01-10T10:00:00.000000+00:00") == t)
        #expect(parse("2026-01-10T10:00:00+00:00") == t)
        #expect(parse("2026-01-10T10:00:00Z") == t)
        #expect(parse("2026-01-10 10:00:00") == t)
        #expect(parse("2026-01-10T10:00:00.5Z") == t + 500_000)
        #expect(parse("2026-01-10T10:00:00.1234567Z") == t + 123_456)
        #expect(parse("2026-01-10T11:30:00+01:30") == t)
        #expect(parse("2026-01-10T08:00:00-0200") == t)
    }

    @Test(arguments: [
        "", "2026-01-10", "2026-13-10T10:00:00Z", "2026-02-29T10:00:00Z", "2026-01-10T24:00:00Z",
        "2026-01-10T10:00:60Z", "2026-01-10T10:00:00.Z", "2026-01-10T10:00:00+1", "2026-01-10T10:00:00ZZ",
        "2026-01-10X10:00:00Z",
    ])
    func refusesWhatIsNotATime(_ s: String) {
        #expect(parse(s) == nil)
    }

    @Test func theRememberedDateGivesWhatReadingItAgainGives() {
        // One cache through a run of times, as a log gives them: the same date, a bad time on a
        // good date, a date that does not exist, then good dates again.
        let times = [
            "2026-01-10T10:00:00Z", "2026-01-10T23:59:59.999999Z", "2026-01-10T24:00:00Z", "2026-01-10 10:00:00",
            "2026-02-29T10:00:00Z", "2026-02-29T10:00:01Z", "2026-01-11T00:00:00+01:00", "2026-01-10T10:00:00Z",
            "2026-01-1", "2024-02-29T10:00:00Z", "2026-01-10T10:00:00.5-02:00",
        ]
        var cache = EventTime.DayCache()
        for t in times {
            var t = t
            let cached = t.withUTF8 { EventTime.parse($0, cache: &cache) }
            #expect(cached == parse(t), "\(t)")
        }
    }

    @Test func daysAndDates() {
        #expect(parse("2024-02-29T00:00:00Z") != nil)
        let t = parse("2026-01-10T23:59:59.999999Z")!
        #expect(EventTime.dateText(day: EventTime.day(of: t)) == "2026-01-10")
        #expect(EventTime.dateText(day: EventTime.day(of: t + 1)) == "2026-01-11")
        #expect(EventTime.dateText(day: EventTime.day(of: -1)) == "1969-12-31")
        #expect(EventTime.day(ofDate: "2026-01-10").map { EventTime.dateText(day: $0) } == "2026-01-10")
        #expect(EventTime.day(ofDate: "2026-1-10") == nil)
    }
}
