import Foundation
import Testing

@testable import Shared

/// A warehouse with statements in flight whose outcomes the test hands out, in any order.
final class ManualConcurrentWarehouse: ConcurrentWarehouse {
    let displayName = "manual"
    private(set) var submitted: [WarehouseStatement] = []
    private var outcomes: [WarehouseOutcome] = []
    private var open: Set<Int> = []

    func explain(_ keys: [LookupKey]) -> String { "" }
    var inFlight: Int { open.count }

    func submit(_ statement: WarehouseStatement) {
        submitted.append(statement)
        open.insert(statement.ticket)
    }

    /// Ends the statement with `ticket` on the next collect.
    func answer(_ ticket: Int, _ result: Result<[LookupKey: Int64], WarehouseError>) {
        open.remove(ticket)
        let answer = result.map { WarehouseAnswer(totals: $0) }
        outcomes.append(WarehouseOutcome(ticket: ticket, result: answer, seconds: 0.01))
    }

    func collect(waitingUpTo seconds: Double) -> [WarehouseOutcome] {
        defer { outcomes.removeAll() }
        return outcomes
    }
}

@Suite struct LookupResolverInFlightTests {
    let keys = (1...3).map {
        LookupKey(userID: Int64($0), courseID: "course-v1:a", enterpriseID: LookupResolverTests.enterprise)
    }

    func resolver(_ w: Warehouse, maxStatements: Int = 8) -> LookupResolver {
        var options = LookupOptions()
        options.retries = 2
        options.retryDelay = 0.001
        options.breakerCooldown = 3600
        options.maxStatements = maxStatements
        return LookupResolver(
            warehouse: w, store: nil, options: options,
            diagnostics: Diagnostics(tool: "test", fd: open("/dev/null", O_WRONLY)),
            metrics: Metrics(tool: "test"))
    }

    @Test func batchesGoOutTogetherAndAreAnsweredInAnyOrder() throws {
        let w = ManualConcurrentWarehouse()
        let r = resolver(w)
        let tickets = keys.map { r.submit([$0]) }
        #expect(w.submitted.count == 3)
        #expect(r.outstanding == 3)
        let ids = w.submitted.map(\.ticket)
        w.answer(ids[2], .success([keys[2]: 30]))
        r.poll(waitingUpTo: 0)
        #expect(r.isAnswered(tickets[2]))
        #expect(!r.isAnswered(tickets[0]))
        #expect(try r.collect(tickets[2])[keys[2]]?.totalSeconds == 30)
        w.answer(ids[0], .success([keys[0]: 10]))
        w.answer(ids[1], .success([:]))
        #expect(try r.collect(tickets[0])[keys[0]]?.totalSeconds == 10)
        #expect(try r.collect(tickets[1])[keys[1]]?.status == .notFound)
        #expect(Set(w.submitted.map(\.requestID)).count == 3)
    }

    @Test func aFailedBatchGoesAgainWithItsRequestIDAndHoldsNewBatches() throws {
        let w = ManualConcurrentWarehouse()
        let r = resolver(w)
        let first = r.submit([keys[0]])
        let firstID = w.submitted[0].ticket
        w.answer(firstID, .failure(.unavailable("503")))
        r.poll(waitingUpTo: 0)
        // While the first batch is retrying, a new batch is held back.
        let second = r.submit([keys[1]])
        #expect(!w.submitted.contains { $0.ticket != firstID })
        while w.submitted.count < 2 { r.poll(waitingUpTo: 0.01) }
        let again = w.submitted[1]
        #expect(again.ticket == firstID)
        #expect(again.attempt == 1)
        #expect(again.requestID == w.submitted[0].requestID)
        w.answer(firstID, .success([keys[0]: 5]))
        #expect(try r.collect(first)[keys[0]]?.totalSeconds == 5)
        // The retry succeeded: the held batch goes now, fresh.
        while w.submitted.count < 3 { r.poll(waitingUpTo: 0.01) }
        #expect(w.submitted[2].attempt == 0)
        w.answer(w.submitted[2].ticket, .success([keys[1]: 7]))
        #expect(try r.collect(second)[keys[1]]?.totalSeconds == 7)
    }

    @Test func batchesOutWhenTheBreakerOpensFailFast() throws {
        let w = ManualConcurrentWarehouse()
        let r = resolver(w)
        let a = r.submit([keys[0]])
        let b = r.submit([keys[1]])
        let (ta, tb) = (w.submitted[0].ticket, w.submitted[1].ticket)
        // Batch a uses up its three attempts; b fails once meanwhile and then meets the open breaker.
        for attempt in 0..<3 {
            while w.submitted.filter({ $0.ticket == ta }).count <= attempt { r.poll(waitingUpTo: 0.01) }
            w.answer(ta, .failure(.unavailable("down")))
            r.poll(waitingUpTo: 0)
        }
        #expect(try r.collect(a)[keys[0]]?.status == .unavailable)
        w.answer(tb, .failure(.unavailable("down")))
        let answers = try r.collect(b)
        #expect(answers[keys[1]]?.status == .unavailable)
        #expect(w.submitted.filter { $0.ticket == tb }.count == 1)
        #expect(r.stats.failedFast == 1)
    }
}
