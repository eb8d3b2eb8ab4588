import Testing

@testable import Shared

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
