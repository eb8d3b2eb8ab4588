import Testing

@testable import Shared

@Suite struct AdaptiveConcurrencyTests {
    /// The 429s of the requests in flight when the limit halved are one burst: it halves once.
    @Test func aBurstOf429sHalvesOnceAndAWindowOfSuccessesAddsOne() {
        var c = AdaptiveConcurrency(maximum: 16)
        #expect(c.allowed == 16)
        for _ in 0..<16 { c.tooManyRequests(started: 0, now: 1) }
        #expect(c.allowed == 8)
        // A request started after the halving that also gets 429: a new burst.
        c.tooManyRequests(started: 1.5, now: 2)
        #expect(c.allowed == 4)
        for _ in 0..<3 { c.succeeded() }
        #expect(c.allowed == 4)
        c.succeeded()
        #expect(c.allowed == 5)
        for _ in 0..<5 { c.succeeded() }
        #expect(c.allowed == 6)
    }

    @Test func neverBelowOneNorAboveTheMaximum() {
        var c = AdaptiveConcurrency(maximum: 3)
        for t in 0..<10 { c.tooManyRequests(started: Double(t), now: Double(t)) }
        #expect(c.allowed == 1)
        for _ in 0..<100 { c.succeeded() }
        #expect(c.allowed == 3)
    }
}
