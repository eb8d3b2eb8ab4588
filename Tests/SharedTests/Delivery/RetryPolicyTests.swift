import Testing
@testable import Shared

@Suite struct RetryPolicyTests {
    @Test func classifiesEachStatusClass() {
        func verdict(_ status: Int) -> RetryPolicy.Verdict { RetryPolicy.classify(HTTPResponse(status: status)) }
        #expect(verdict(200) == .delivered)
        #expect(verdict(204) == .delivered)
        for s in [408, 425, 429, 500, 502, 503, 504] { #expect(verdict(s) == .retry, "\(s)") }
        #expect(verdict(410) == .gone)
        for s in [301, 302, 400, 401, 403, 404, 422] { #expect(verdict(s) == .permanent, "\(s)") }
        #expect(verdict(0) == .retry) // no answer: timeout, DNS, connection errors
    }

    @Test func retryAfterInSecondsOrAsADateIsHonouredWithinTheCap() {
        var p = RetryPolicy()
        p.maxRetryAfter = 60
        #expect(p.delay(beforeRetry: 1, retryAfter: "7", now: 1000, random: 0) == 7)
        #expect(p.delay(beforeRetry: 1, retryAfter: "3600", now: 1000, random: 0) == 60)
        let now = 1_700_000_000.0
        #expect(p.delay(beforeRetry: 1, retryAfter: HTTPDate.format(now + 12), now: now, random: 0) == 12)
        // A date in the past means now.
        #expect(p.delay(beforeRetry: 1, retryAfter: HTTPDate.format(now - 50), now: now, random: 0) == 0)
    }

    @Test func backoffIsExponentialWithJitterOrFollowsTheSchedule() {
        var p = RetryPolicy()
        p.baseDelay = 1
        #expect(p.delay(beforeRetry: 1, retryAfter: nil, now: 0, random: 1) == 1)
        #expect(p.delay(beforeRetry: 3, retryAfter: nil, now: 0, random: 1) == 4)
        #expect(p.delay(beforeRetry: 3, retryAfter: nil, now: 0, random: 0) == 2)
        p.schedule = [30, 60, 120]
        #expect(p.delay(beforeRetry: 2, retryAfter: nil, now: 0, random: 1) == 60)
        #expect(p.delay(beforeRetry: 9, retryAfter: nil, now: 0, random: 1) == 120)
        #expect(p.delay(beforeRetry: 1, retryAfter: "not a date", now: 0, random: 1) == 30)
    }
}
