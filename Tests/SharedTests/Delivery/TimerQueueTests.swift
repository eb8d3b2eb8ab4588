import Testing

@testable import Shared

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
