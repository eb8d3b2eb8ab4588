import Testing

@testable import Shared

/// How the pipeline splits the keys waiting in its pool into statements (pure arithmetic; the
/// end-to-end tests in LtQueryLatencyBoundTests watch the statements a warehouse receives).
@Suite struct LookupPipelineBatchingTests {
    @Test func keysThatFitOneStatementGoAsOne() {
        for flowing in [true, false] {
            #expect(
                LookupPipeline.statementCount(keys: 3, maxPerStatement: 2000, freeSlots: 8, inputFlowing: flowing) == 1)
            #expect(
                LookupPipeline.statementCount(keys: 2000, maxPerStatement: 2000, freeSlots: 8, inputFlowing: flowing)
                    == 1)
        }
    }

    @Test func aBurstSpreadsOverEveryFreeSlotOnceTheInputPauses() {
        let n = LookupPipeline.statementCount(keys: 9000, maxPerStatement: 2000, freeSlots: 8, inputFlowing: false)
        #expect(n == 8)
        #expect(LookupPipeline.evenSizes(9000, over: n) == Array(repeating: 1125, count: 8))
    }

    @Test func whileInputFlowsAsFewStatementsAsHoldTheKeysLeaveSlotsFree() {
        let n = LookupPipeline.statementCount(keys: 4500, maxPerStatement: 2000, freeSlots: 8, inputFlowing: true)
        #expect(n == 3)
        #expect(LookupPipeline.evenSizes(4500, over: n) == [1500, 1500, 1500])
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
