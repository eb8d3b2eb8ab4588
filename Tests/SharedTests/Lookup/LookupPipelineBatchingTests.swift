import Testing

@testable import Shared

/// How the pipeline splits the keys waiting in its pool into statements (pure arithmetic; the
/// end-to-end tests in LtQueryLatencyBoundTests watch the statements a warehouse receives).
@Suite struct LookupPipelineBatchingTests {
    typealias P = LookupPipeline

    @Test func keysThatFitOneStatementGoAsOneOnceTheInputPauses() {
        #expect(P.statementSizes(keys: 3, maxPerStatement: 2000, freeSlots: 8, inputFlowing: false) == [3])
        #expect(P.statementSizes(keys: 2000, maxPerStatement: 2000, freeSlots: 8, inputFlowing: false) == [2000])
    }

    @Test func aBurstSpreadsOverEveryFreeSlotOnceTheInputPauses() {
        let sizes = P.statementSizes(keys: 9000, maxPerStatement: 2000, freeSlots: 8, inputFlowing: false)
        #expect(sizes == Array(repeating: 1125, count: 8))
        // More than the free slots hold: they go full, the rest stays in the pool.
        #expect(
            P.statementSizes(keys: 9000, maxPerStatement: 2000, freeSlots: 3, inputFlowing: false) == [
                2000, 2000, 2000,
            ])
    }

    /// While more input is readable, a part-full statement would take a slot that a full one needs.
    @Test func whileInputFlowsOnlyFullStatementsGo() {
        #expect(P.statementSizes(keys: 1999, maxPerStatement: 2000, freeSlots: 8, inputFlowing: true).isEmpty)
        #expect(P.statementSizes(keys: 4500, maxPerStatement: 2000, freeSlots: 8, inputFlowing: true) == [2000, 2000])
        #expect(
            P.statementSizes(keys: 9000, maxPerStatement: 2000, freeSlots: 3, inputFlowing: true) == [2000, 2000, 2000])
        #expect(P.statementSizes(keys: 2000, maxPerStatement: 2000, freeSlots: 0, inputFlowing: true).isEmpty)
    }

    @Test func sizesDifferByOneAtMostAndAddUp() {
        for total in [1, 7, 25, 999, 16001] {
            for parts in 1...9 {
                let sizes = LookupPipeline.evenSizes(total, over: parts)
                #expect(sizes.reduce(0, +) == total)
                #expect(sizes.max()! - sizes.min()! <= 1)
                #expect(sizes.count == min(parts, total))
            }
        }
    }
}
