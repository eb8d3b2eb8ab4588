import Testing

@testable import Shared

@Suite struct LatencyHistogramTests {
    @Test func quantilesAreWithinOnePercent() {
        var h = LatencyHistogram()
        // 1 ms … 10 s, evenly spread: the true q-quantile is q·10 s.
        for i in 1...10_000 { h.record(Double(i) / 1000) }
        #expect(h.count == 10_000)
        for q in [0.5, 0.95, 0.99] {
            let v = try! #require(h.quantile(q))
            #expect(abs(v - q * 10) / (q * 10) < 0.01, "q=\(q): \(v)")
        }
        #expect(h.max == 10)
        #expect(abs(h.sum - 50_005) < 1e-6)
    }

    @Test func cumulativeCountsForBuckets() {
        var h = LatencyHistogram()
        for v in [0.0005, 0.002, 0.002, 0.3, 7.0] { h.record(v) }
        #expect(h.count(atMost: 0.001) == 1)
        #expect(h.count(atMost: 0.0025) == 3)
        #expect(h.count(atMost: 0.5) == 4)
        #expect(h.count(atMost: 10) == 5)
        #expect(h.count(atMost: 0) == 0)
    }

    @Test func emptyHasNoQuantilesAndHugeValuesAreClamped() {
        var h = LatencyHistogram()
        #expect(h.quantile(0.5) == nil)
        #expect(h.summaryText == "none")
        h.record(1e9)
        h.record(-.infinity)
        #expect(h.count == 2)
        #expect(h.quantile(1.0)! <= 1e9)
    }
}
