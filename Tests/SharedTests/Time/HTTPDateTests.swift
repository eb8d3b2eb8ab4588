import Testing

@testable import Shared

/// RFC 9110 §5.6.7: a recipient of an HTTP date (`Retry-After`) accepts all three forms.
@Suite struct HTTPDateTests {
    /// 1994-11-06T08:49:37Z, the RFC's own example, in seconds since the epoch.
    static let example = 784_111_777.0
    /// 2026-12-04T00:00:00Z, for the RFC 850 century rule.
    static let now = 1_796_342_400.0

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  // obsolete RFC 850 format
        "Sun Nov  6 08:49:37 1994",  // ANSI C's asctime() format
    ])
    func theRFCsThreeFormsOfOneMomentReadAlike(_ text: String) {
        #expect(HTTPDate.parse(text, now: Self.now) == Self.example)
    }

    @Test func asctimeTakesATwoDigitDayToo() {
        #expect(HTTPDate.parse("Wed Nov 16 08:49:37 1994", now: Self.now) == Self.example + 10 * 86_400)
    }

    @Test func anRFC850YearMoreThanFiftyYearsAheadIsTheLatestPastOneWithThoseDigits() {
        let in2075 = HTTPDate.parse("Monday, 04-Nov-75 00:00:00 GMT", now: Self.now)
        #expect(in2075 == HTTPDate.parse("Mon, 04 Nov 2075 00:00:00 GMT", now: Self.now))
        let in1977 = HTTPDate.parse("Saturday, 31-Dec-77 00:00:00 GMT", now: Self.now)
        #expect(in1977 == HTTPDate.parse("Sat, 31 Dec 1977 00:00:00 GMT", now: Self.now))
        #expect(in1977 != nil && in2075 != nil)
    }

    @Test func leapDaysAndLeapSecondsAreDates() {
        #expect(HTTPDate.parse("Thu, 29 Feb 1996 00:00:00 GMT", now: Self.now) == 825_552_000)
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT", now: Self.now) == 1_483_228_800)
    }

    @Test(arguments: [
        "Sun, 6 Nov 1994 08:49:37 GMT", "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT", "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
        "Sun, 31 Apr 1994 08:49:37 GMT", "Wed, 29 Feb 1995 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sunx, 06 Nov 1994 08:49:37 GMT",
        "", "120", "Sun, 06 Nov 1994 08:49:37 GMT\r\nX: y",
    ])
    func anythingElseIsNotADate(_ text: String) {
        #expect(HTTPDate.parse(text, now: Self.now) == nil, "\(text)")
    }

    @Test func retryAfterReadsEveryForm() {
        let now = Self.example - 30
        for text in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            #expect(RetryPolicy.parseRetryAfter(text, now: now) == 30, "\(text)")
        }
    }

    @Test func formatWritesAnIMFFixdateThatReadsBack() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse(HTTPDate.format(Self.now), now: Self.now) == Self.now)
    }
}
