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
@Suite struct CircuitBreakerRateTests {
    static let rule = CircuitBreaker.RateRule()

    @Test func aPartnerAnswering503ToThirtyPercentNeverOpensIt() {
        var b = CircuitBreaker(threshold: 5, cooldown: 30, rateRule: Self.rule)
        var rng = SplitMix64(seed: 25)
        // 20,000 attempts at 100 a second; runs of 5 failures in a row happen about 20 times.
        var inARow = 0
        var longestRun = 0
        for i in 0..<20_000 {
            let failed = Double(rng.next() % 1000) / 1000 < 0.3
            inARow = failed ? inARow + 1 : 0
            longestRun = max(longestRun, inARow)
            b.record(healthy: !failed, answered: true, now: Double(i) / 100)
            #expect(b.state == .closed, "opened at attempt \(i)")
            if b.state != .closed { break }
        }
        #expect(longestRun >= 5)
    }

    @Test func aPartnerAnswering503ToEverythingOpensItAtTheMinimumAttempts() {
        var b = CircuitBreaker(threshold: 5, cooldown: 30, rateRule: Self.rule)
        for i in 0..<49 {
            b.record(healthy: false, answered: true, now: Double(i) / 10)
            #expect(b.state == .closed)
        }
        b.record(healthy: false, answered: true, now: 5)
        #expect(b.isOpen)
    }

    @Test func connectionFailuresStillOpenItAfterFiveInARow() {
        var b = CircuitBreaker(threshold: 5, cooldown: 30, rateRule: Self.rule)
        for i in 0..<10 { b.record(healthy: true, now: Double(i)) }
        for i in 0..<4 { b.record(healthy: false, now: 10 + Double(i)) }
        #expect(b.state == .closed)
        b.record(healthy: false, now: 14)
        #expect(b.isOpen)
    }

    @Test func failuresOlderThanTheWindowNoLongerCount() {
        var b = CircuitBreaker(threshold: 5, cooldown: 30, rateRule: Self.rule)
        // 45 failed answers, then 40 s later 25 successes and 25 failures: 25 of 50 in the window.
        for i in 0..<45 { b.record(healthy: false, answered: true, now: Double(i) / 10) }
        for i in 0..<25 { b.record(healthy: true, now: 40 + Double(i) / 100) }
        for i in 0..<24 { b.record(healthy: false, answered: true, now: 41 + Double(i) / 100) }
        #expect(b.state == .closed)
        b.record(healthy: false, answered: true, now: 42)
        #expect(b.isOpen)
    }
}
