import Foundation
import Testing
@testable import Shared

/// A warehouse whose answers are scripted: each call takes the next outcome (the last repeats).
final class ScriptedWarehouse: Warehouse {
    var outcomes: [Result<[LookupKey: Int64], WarehouseError>]
    private(set) var calls: [[LookupKey]] = []
    let displayName = "scripted"

    init(_ outcomes: [Result<[LookupKey: Int64], WarehouseError>]) { self.outcomes = outcomes }

    func totals(for keys: [LookupKey]) throws -> [LookupKey: Int64] {
        calls.append(keys)
        let outcome = outcomes.count > 1 ? outcomes.removeFirst() : outcomes[0]
        return try outcome.get().filter { keys.contains($0.key) }
    }

    /// Keys whose rows make no usable total, set apart from the batch's answer.
    var rejected: [LookupKey: String] = [:]

    func answer(for keys: [LookupKey]) throws -> WarehouseAnswer {
        WarehouseAnswer(totals: try totals(for: keys), rejected: rejected.filter { keys.contains($0.key) })
    }

    func explain(_ keys: [LookupKey]) -> String { "" }
}

/// A store in memory, counting what goes in.
final class MemoryStore: LookupStore {
    var entries: [LookupKey: CachedLookup] = [:]
    var isEnabled = true
    private(set) var flushes = 0

    func get(_ keys: [LookupKey], now: Double) -> [CachedLookup?] {
        keys.map { k in entries[k].flatMap { $0.expiresAt > now ? $0 : nil } }
    }

    func put(_ batch: [(LookupKey, Int64?)], lastUpdated: String, now: Double) {
        for (k, t) in batch { entries[k] = CachedLookup(totalSeconds: t, lastUpdated: lastUpdated, expiresAt: now + 60) }
    }

    func flush() { flushes += 1 }
}

/// Key resolution (memory, store, warehouse, retries, breaker) with a scripted warehouse and store.
@Suite struct LookupResolverTests {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    let a = LookupKey(userID: 1, courseID: "course-v1:a", enterpriseID: enterprise)
    let b = LookupKey(userID: 2, courseID: "course-v1:b", enterpriseID: enterprise)

    func resolver(_ w: Warehouse, _ store: LookupStore? = nil, retries: Int = 2) -> LookupResolver {
        var options = LookupOptions()
        options.retries = retries
        options.retryDelay = 0.001
        options.breakerCooldown = 3600
        return LookupResolver(warehouse: w, store: store, options: options,
                              diagnostics: Diagnostics(tool: "test", fd: open("/dev/null", O_WRONLY)))
    }

    @Test func warehouseAnswersAreRememberedAndStored() throws {
        let w = ScriptedWarehouse([.success([a: 120])])
        let store = MemoryStore()
        let r = resolver(w, store)
        #expect(r.known(a) == nil)
        let answers = try r.collect(r.submit([a, b]))
        #expect(answers[a]?.status == .found)
        #expect(answers[a]?.totalSeconds == 120)
        #expect(answers[a]?.source == .warehouse)
        #expect(answers[b]?.status == .notFound)
        #expect(store.entries[a]?.totalSeconds == 120)
        #expect(store.entries[b] != nil && store.entries[b]?.totalSeconds == nil)
        // A repeat comes from memory, not the warehouse.
        #expect(r.known(a)?.totalSeconds == 120)
        #expect(w.calls.count == 1)
        r.finish()
        #expect(store.flushes == 1)
    }

    @Test func storeAnswersBeforeTheWarehouse() {
        let w = ScriptedWarehouse([.success([:])])
        let store = MemoryStore()
        store.put([(a, 7)], lastUpdated: "2026-01-01T00:00:00Z", now: Timestamps.now())
        let r = resolver(w, store)
        #expect(r.known(a) == LookupResult(status: .found, totalSeconds: 7, lastUpdated: "2026-01-01T00:00:00Z", source: .cache))
        store.isEnabled = false
        #expect(r.known(a) == nil)
        #expect(r.stats.cacheHits == 1)
        #expect(w.calls.isEmpty)
    }

    @Test func transientErrorsAreRetriedThenUnavailableThenFailFast() throws {
        let w = ScriptedWarehouse([.failure(.unavailable("refused"))])
        let r = resolver(w, retries: 2)
        let first = try r.collect(r.submit([a]))
        #expect(first[a]?.status == .unavailable)
        #expect(first[a]?.error?.contains("refused") == true)
        #expect(w.calls.count == 3)
        // The breaker is open now: the next batch is not sent.
        let second = try r.collect(r.submit([b]))
        #expect(second[b]?.status == .unavailable)
        #expect(w.calls.count == 3)
        #expect(r.stats.failedFast == 1)
    }

    @Test func retriesRecoverAndAnswer() throws {
        let w = ScriptedWarehouse([.failure(.queryFailed("serialization failure")), .success([a: 5])])
        let r = resolver(w, retries: 3)
        #expect(try r.collect(r.submit([a]))[a]?.totalSeconds == 5)
        #expect(w.calls.count == 2)
    }

    @Test func permanentErrorsThrowWithoutRetries() {
        let w = ScriptedWarehouse([.failure(.misconfigured("permission denied for table x", hint: "grant SELECT"))])
        let store = MemoryStore()
        let r = resolver(w, store, retries: 3)
        let ticket = r.submit([a])
        #expect(r.isAnswered(ticket))
        #expect(throws: WarehouseError.self) { try r.collect(ticket) }
        #expect(w.calls.count == 1)
        #expect(store.entries.isEmpty)
    }

    @Test func aBadTotalAffectsOnlyItsOwnKey() throws {
        let c = LookupKey(userID: 3, courseID: "course-v1:c", enterpriseID: Self.enterprise)
        let w = ScriptedWarehouse([.success([a: 10, b: -40])])
        w.rejected = [c: "is 1e30, not a whole number of seconds that fits in 64 bits"]
        let store = MemoryStore()
        let r = resolver(w, store)
        let answers = try r.collect(r.submit([a, b, c]))
        #expect(answers[a] == LookupResult(status: .found, totalSeconds: 10, lastUpdated: answers[a]?.lastUpdated, source: .warehouse))
        #expect(answers[b]?.status == .unavailable)
        #expect(answers[b]?.error?.contains(b.cacheKey) == true)
        #expect(answers[b]?.error?.contains("negative") == true)
        #expect(answers[c]?.status == .unavailable)
        #expect(answers[c]?.error?.contains(c.cacheKey) == true)
        #expect(answers[c]?.error?.contains(a.cacheKey) == false)
        // Only the good key is kept; the bad ones are asked again next time.
        #expect(Set(store.entries.keys) == [a])
        #expect(r.known(b) == nil)
        #expect(w.calls.count == 1)
    }
}
