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
        #expect(verdict(0) == .retry)  // no answer: timeout, DNS, connection errors
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
        // The default is the upstream queue's 30 s, 60 s, 120 s; jitter only lengthens, by up to a quarter.
        #expect(p.schedule == [30, 60, 120] && p.retries == 3)
        #expect(p.delay(beforeRetry: 1, retryAfter: nil, now: 0, random: 0) == 30)
        #expect(p.delay(beforeRetry: 2, retryAfter: nil, now: 0, random: 1) == 75)
        #expect(p.delay(beforeRetry: 9, retryAfter: nil, now: 0, random: 0) == 120)
        #expect(p.delay(beforeRetry: 1, retryAfter: "not a date", now: 0, random: 0) == 30)
        p.schedule = []
        p.baseDelay = 1
        #expect(p.delay(beforeRetry: 1, retryAfter: nil, now: 0, random: 0) == 1)
        #expect(p.delay(beforeRetry: 3, retryAfter: nil, now: 0, random: 0) == 4)
        #expect(p.delay(beforeRetry: 3, retryAfter: nil, now: 0, random: 1) == 5)
    }

    @Test func presetsAndRetriedStatuses() throws {
        let svix = RetryPolicy(preset: .standardWebhooks)
        #expect(svix.schedule == [5, 300, 1800, 7200, 18000, 36000, 36000] && svix.retries == 7)
        #expect(svix.schedule.reduce(0, +) / 3600 > 27)
        let all = try RetriedStatuses(parsing: ["all"])
        for s in [302, 400, 404, 422, 503] { #expect(all.classify(HTTPResponse(status: s)) == .retry, "\(s)") }
        #expect(all.classify(HTTPResponse(status: 410)) == .gone)
        let some = try RetriedStatuses(parsing: ["409", "5xx"])
        #expect(some.classify(HTTPResponse(status: 409)) == .retry)
        #expect(some.classify(HTTPResponse(status: 429)) == .permanent)
        #expect(some.classify(HTTPResponse(status: 502)) == .retry)
        #expect(throws: ConfigError.self) { try RetriedStatuses(parsing: ["410"]) }
        #expect(throws: ConfigError.self) { try RetriedStatuses(parsing: ["2xx"]) }
    }
}
