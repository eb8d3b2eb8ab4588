import Testing

@testable import Shared

/// The queue behind lt-query's waiting lines and lt-send's scheduler: order, positions, and storage
/// bounded by the backlog on an endless stream.
@Suite struct FIFOTests {
    @Test func keepsOrderAndPositionsCountFromTheFront() {
        var q = FIFO<Int>()
        for i in 0..<5 { q.append(i) }
        #expect(q.popFirst() == 0)
        #expect(q.first == 1)
        #expect(q.count == 4)
        q[1] = 20
        #expect((0..<q.count).map { q[$0] } == [1, 20, 3, 4])
        q.updateEach { $0 += 1 }
        #expect((0..<q.count).map { q[$0] } == [2, 21, 4, 5])
        q.updateEach { $0 -= 1 }
        #expect(q.drain() == [1, 20, 3, 4])
        #expect(q.isEmpty && q.popFirst() == nil && q.first == nil)
    }

    /// A queue that never runs empty (a backlog of 500 lines behind running batches) must not keep
    /// the lines already taken: its storage stays near twice the backlog, whatever the stream's length.
    @Test func storageStaysBoundedWhenTheQueueNeverRunsEmpty() {
        var q = FIFO<[UInt8]>()
        let backlog = 500
        for i in 0..<backlog { q.append([UInt8(truncatingIfNeeded: i)]) }
        var largest = 0
        var outOfOrder = 0
        for i in backlog..<200_000 {
            q.append([UInt8(truncatingIfNeeded: i)])
            if q.popFirst() != [UInt8(truncatingIfNeeded: i - backlog)] { outOfOrder += 1 }
            largest = max(largest, q.storageCount)
        }
        #expect(outOfOrder == 0)
        #expect(q.count == backlog)
        #expect(largest <= 2 * (backlog + 1025))
    }
}
