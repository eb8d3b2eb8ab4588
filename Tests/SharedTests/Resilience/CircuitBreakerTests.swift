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

@Suite struct PacedLimiterTests {
    @Test func spacesRequestsEvenlyWithoutBurst() {
        var l = PacedLimiter(perSecond: 10)
        var times: [Double] = []
        for _ in 0..<5 {
            let t = l.earliest(now: 100)
            l.take(at: t)
            times.append(t)
        }
        #expect(times.map { (($0 - 100) * 1000).rounded() } == [0, 100, 200, 300, 400])
        // After a quiet spell the next request goes at once, but still no burst follows.
        let later = l.earliest(now: 200)
        #expect(later == 200)
        l.take(at: later)
        #expect(l.earliest(now: 200) == 200.1)
    }
}

@Suite struct TimerQueueTests {
    @Test func popsEarliestFirstAndInInsertionOrderForTies() {
        var q = TimerQueue<String>()
        q.push("c", due: 3); q.push("a", due: 1); q.push("b1", due: 2); q.push("b2", due: 2)
        #expect(q.popDue(now: 0.5) == nil)
        #expect(q.nextDue == 1)
        var out: [String] = []
        while let s = q.popDue(now: 10) { out.append(s) }
        #expect(out == ["a", "b1", "b2", "c"])
        q.push("x", due: 1); q.push("y", due: 2); q.push("z", due: 3)
        #expect(q.removeAll { $0 == "y" } == ["y"])
        #expect(q.drain() == ["x", "z"])
    }
}
