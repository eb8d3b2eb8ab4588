import Foundation
import Testing

@testable import Shared

/// A warehouse whose answers are scripted: each call takes the next outcome (the last repeats).
final class ScriptedWarehouse: Warehouse {
    var outcomes: [Result<[LookupKey: Int64], WarehouseError>]
    private(set) var calls: [[LookupKey]] = []
    let displayName = "scripted"

    init(_ outcomes: [Result<[LookupKey: Int64], WarehouseError>]) { self.outcomes = outcomes }

    /// Keys whose rows make no usable total, set apart from the batch's answer.
    var rejected: [LookupKey: String] = [:]

    func answer(for keys: [LookupKey]) throws -> WarehouseAnswer {
        calls.append(keys)
        let outcome = outcomes.count > 1 ? outcomes.removeFirst() : outcomes[0]
        return WarehouseAnswer(
            totals: try outcome.get().filter { keys.contains($0.key) },
            rejected: rejected.filter { keys.contains($0.key) })
    }

    func explain(_ keys: [LookupKey]) -> String { "" }
}

/// A store in memory, counting what goes in; it throws while `failing`.
final class MemoryStore: LookupStore {
    var entries: [LookupKey: CachedLookup] = [:]
    var failing = false
    let readsByBatch: Bool
    let address = "memory:"
    private(set) var flushes = 0
    private(set) var gets: [[LookupKey]] = []

    init(readsByBatch: Bool = false) { self.readsByBatch = readsByBatch }

    func get(_ keys: [LookupKey], in namespace: CacheNamespace) throws -> [CachedLookup?] {
        if failing { throw CacheError(message: "memory store failing") }
        gets.append(keys)
        return keys.map { entries[$0] }
    }

    func put(_ batch: [(LookupKey, CachedLookup)], in namespace: CacheNamespace) throws {
        if failing { throw CacheError(message: "memory store failing") }
        for (k, e) in batch { entries[k] = e }
    }

    func flush() throws { flushes += 1 }

    /// Stores `total` for `key` as a run would have, fresh for a minute.
    func seed(_ key: LookupKey, _ total: Int64?) {
        let now = Timestamps.now()
        entries[key] = CachedLookup(
            totalSeconds: total, lastUpdated: "2026-01-01T00:00:00Z", storedAt: now, expiresAt: now + 60)
    }
}

/// Key resolution (memory, store, warehouse, retries, breaker) with a scripted warehouse and store.
@Suite struct LookupResolverTests {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    let a = LookupKey(userID: 1, courseID: "course-v1:a", enterpriseID: enterprise)
    let b = LookupKey(userID: 2, courseID: "course-v1:b", enterpriseID: enterprise)

    func resolver(_ w: Warehouse, _ store: MemoryStore? = nil, retries: Int = 2) -> LookupResolver {
        var options = LookupOptions()
        options.retries = retries
        options.retryDelay = 0.001
        options.breakerCooldown = 3600
        return LookupResolver(
            warehouse: w,
            store: store.map { StoreGate($0, namespace: CacheNamespace(identity: "test"), diagnostics: nil) },
            options: options,
            diagnostics: Diagnostics(tool: "test", fd: open("/dev/null", O_WRONLY)),
            metrics: Metrics(tool: "test"))
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
        store.seed(a, 7)
        let r = resolver(w, store)
        #expect(
            r.known(a)
                == LookupResult(status: .found, totalSeconds: 7, lastUpdated: "2026-01-01T00:00:00Z", source: .cache))
        // A failing store is a miss, not an error; it is left alone for a while after.
        store.failing = true
        #expect(r.known(a) == nil)
        store.failing = false
        #expect(r.known(a) == nil, "the store was asked again before its back-off")
        #expect(r.stats.cacheHits == 1)
        #expect(w.calls.isEmpty)
    }

    @Test func aStoreReadByBatchIsAskedOncePerBatchAndOnlyMissesGoToTheWarehouse() throws {
        let c = LookupKey(userID: 3, courseID: "course-v1:c", enterpriseID: Self.enterprise)
        let w = ScriptedWarehouse([.success([b: 20])])
        let store = MemoryStore(readsByBatch: true)
        store.seed(a, 7)
        store.seed(c, nil)
        let r = resolver(w, store)
        // Lines are not answered one by one: the store is asked with the batch.
        #expect(r.known(a) == nil)
        #expect(store.gets.isEmpty)
        let answers = try r.collect(r.submit([a, b, c]))
        #expect(store.gets == [[a, b, c]])
        #expect(w.calls == [[b]])
        #expect(answers[a]?.totalSeconds == 7 && answers[a]?.source == .cache)
        #expect(answers[b]?.totalSeconds == 20 && answers[b]?.source == .warehouse)
        #expect(answers[c]?.status == .notFound && answers[c]?.source == .cache)
        #expect(r.stats.cacheHits == 2 && r.stats.cacheMisses == 1)
        #expect(store.entries[b]?.totalSeconds == 20)
        // A batch the store answers whole never reaches the warehouse.
        let again = LookupResolver(
            warehouse: w,
            store: StoreGate(store, namespace: CacheNamespace(identity: "test"), diagnostics: nil),
            options: LookupOptions(), diagnostics: Diagnostics(tool: "test", fd: open("/dev/null", O_WRONLY)),
            metrics: Metrics(tool: "test"))
        let ticket = again.submit([a, b])
        #expect(again.isAnswered(ticket))
        #expect(try again.collect(ticket)[b]?.source == .cache)
        #expect(w.calls.count == 1)
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
        #expect(
            answers[a]
                == LookupResult(
                    status: .found, totalSeconds: 10, lastUpdated: answers[a]?.lastUpdated, source: .warehouse))
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
