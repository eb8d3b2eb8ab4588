import Testing

@testable import Shared

/// The timestamps of log records and lt-send's `finished_at`: UTC, milliseconds, fixed width.
@Suite struct TimestampsTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_768_059_000.25, "2026-01-10T15:30:00.250Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_767_225_599.999, "2025-12-31T23:59:59.999Z"),
        // Past year 9999 the year takes the digits it needs.
        (253_402_300_800, "10000-01-01T00:00:00.000Z"),
    ])
    func iso8601(_ seconds: Double, _ text: String) {
        #expect(Timestamps.iso8601(seconds) == text)
    }

    /// `--last-updated rows`: the day after the warehouse's latest day, across month and year ends.
    @Test(arguments: [
        ("2026-01-10", "2026-01-11T00:00:00Z"), ("2026-01-31", "2026-02-01T00:00:00Z"),
        ("2024-02-28", "2024-02-29T00:00:00Z"), ("2025-12-31 23:59:59", "2026-01-01T00:00:00Z"),
        ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"),
    ])
    func dayAfterAWarehouseDay(_ day: String, _ next: String) {
        #expect(Timestamps.dayAfter(day) == next)
    }

    @Test(arguments: [
        "", "yesterday", "2026-02-30", "2026-13-01", "2026-1-10", "20260110", "2026-01-10x", "0000-01-01",
    ])
    func noDayAfterWhatIsNotADay(_ text: String) {
        #expect(Timestamps.dayAfter(text) == nil)
    }
}
