import Testing

@testable import Shared

@Suite struct CircuitBreakerTests {
    @Test func opensAfterFailuresInARowThenAProbeDecides() {
        var b = CircuitBreaker(threshold: 3, cooldown: 10)
        for _ in 0..<2 { b.record(healthy: false, now: 0) }
        #expect(b.admit(now: 0) == .send)
        b.record(healthy: true, now: 0)  // a success resets the count
        for _ in 0..<3 { b.record(healthy: false, now: 1) }
        #expect(b.admit(now: 5) == .reject)
        #expect(b.admit(now: 11) == .probe)
        #expect(b.admit(now: 11) == .wait)  // one probe at a time
        b.record(healthy: false, now: 12)  // the probe failed: open again
        #expect(b.admit(now: 13) == .reject)
        #expect(b.admit(now: 23) == .probe)
        b.record(healthy: true, now: 23)
        #expect(b.admit(now: 23) == .send)
    }

    /// lt-query's use: one batch that used up its retries opens it; the probe runs once.
    @Test func thresholdOneOpensOnTheFirstFailure() {
        var b = CircuitBreaker(threshold: 1, cooldown: 10)
        #expect(b.admit(now: 0) == .send)
        b.record(healthy: false, now: 0)
        #expect(b.isOpen)
        #expect(b.admit(now: 5) == .reject)
        #expect(b.admit(now: 10) == .probe)
        b.record(healthy: false, now: 10)
        #expect(b.admit(now: 19) == .reject)
        #expect(b.admit(now: 20) == .probe)
        b.record(healthy: true, now: 20)
        #expect(b.admit(now: 20) == .send)
        #expect(!b.isOpen)
    }

    @Test func thresholdZeroNeverOpens() {
        var b = CircuitBreaker(threshold: 0, cooldown: 10)
        for _ in 0..<100 { b.record(healthy: false, now: 0) }
        #expect(b.admit(now: 0) == .send)
    }
}
