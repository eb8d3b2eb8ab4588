/// Turns lookup keys into lookup records: from memory, then the store (the file cache), then the
/// warehouse in batches, with retries and a circuit breaker. It is the one place lt-query's
/// answers come from, for the stream (``LookupPipeline``) and for ad-hoc lookups (``AdHocLookup``)
/// alike, and the one place that reports lookup metrics.
///
/// Warehouse work is split into ``submit(_:)`` and ``collect(_:)``, so that a caller keeps its
/// own order (the stream's lines) while up to ``maxInFlight`` batches are out. Today each batch
/// is answered when it is submitted and `maxInFlight` is 1; a resolver that overlaps round trips
/// changes only this type.
public final class LookupResolver {
    /// A submitted batch, to be collected once.
    public struct Ticket: Hashable, Sendable {
        fileprivate let id: Int
    }

    private let warehouse: Warehouse
    private let store: (any LookupStore)?
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    /// Cache and warehouse counts for `--stats` (lines and statuses are the caller's).
    public private(set) var stats = LookupStats()
    /// Most batches submitted and not yet collected; a caller collects the oldest before
    /// submitting past it.
    public let maxInFlight = 1
    /// Lines the caller holds back for answers, reported with each batch's metrics.
    public var queuedLines = 0

    private var memory: [LookupKey: LookupResult] = [:]
    private var breaker: CircuitBreaker
    private var nextTicket = 0
    private var answered: [Int: Outcome] = [:]

    private enum Outcome {
        case results([LookupKey: LookupResult])
        case failed(any Error)
    }

    public init(warehouse: Warehouse, store: (any LookupStore)?, options: LookupOptions, diagnostics: Diagnostics) {
        self.warehouse = warehouse
        self.store = store
        self.options = options
        self.diagnostics = diagnostics
        // A batch that used up its retries is failure enough to open it.
        breaker = CircuitBreaker(threshold: 1, cooldown: options.breakerCooldown)
    }

    /// The warehouse's printable name, for records that say where an answer came from.
    public var warehouseName: String { warehouse.displayName }

    /// The answer for `key` when memory or the store has it; nil when it must be asked of the warehouse.
    public func known(_ key: LookupKey) -> LookupResult? {
        if let r = memory[key] { stats.cacheHits += 1; return r }
        guard let store, store.isEnabled else { return nil }
        if let entry = store.get(key, now: Timestamps.now()) {
            // Not remembered in memory: the store answers a repeat nearly as fast, and a warm
            // backfill of distinct keys would only churn the table.
            stats.cacheHits += 1
            return entry.result
        }
        stats.cacheMisses += 1
        return nil
    }

    /// Sends `keys` (distinct, none of them known) to the warehouse as one batch.
    public func submit(_ keys: [LookupKey]) -> Ticket {
        let ticket = Ticket(id: nextTicket)
        nextTicket += 1
        stats.batches += 1
        do { answered[ticket.id] = .results(try lookUp(keys)) } catch { answered[ticket.id] = .failed(error) }
        return ticket
    }

    /// True when ``collect(_:)`` will not wait for `ticket`.
    public func isAnswered(_ ticket: Ticket) -> Bool { answered[ticket.id] != nil }

    /// The answers of a submitted batch, one per key: `found`, `not_found` or `unavailable`.
    /// Throws a permanent warehouse error (``WarehouseError/isPermanent``): asking again cannot
    /// help, and answering `unavailable` would send partners lines without learning time.
    public func collect(_ ticket: Ticket) throws -> [LookupKey: LookupResult] {
        guard let outcome = answered.removeValue(forKey: ticket.id) else {
            preconditionFailure("batch \(ticket.id) was not submitted or was collected already")
        }
        switch outcome {
        case .results(let r): return r
        case .failed(let e): throw e
        }
    }

    /// Lets the store commit its writes and let go of its files: the input has paused.
    public func idle() { store?.flush() }

    /// Commits what the store gathered and reports the run's hit rate.
    public func finish() {
        store?.flush()
        Metrics.shared.gauge("webhook.learning_time.cache.hit_rate", stats.hitRate)
    }

    private func unavailable(_ keys: [LookupKey], _ message: String) -> [LookupKey: LookupResult] {
        report(failedKeys: keys.count)
        let r = LookupResult(status: .unavailable, error: message)
        return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
    }

    private func lookUp(_ keys: [LookupKey]) throws -> [LookupKey: LookupResult] {
        let admission = breaker.admit(now: Timestamps.monotonic())
        if admission == .reject {
            stats.failedFast += 1
            return unavailable(keys, "the warehouse failed repeatedly; not asking it again until --breaker-cooldown has passed")
        }
        // One batch at a time here, so `.wait` cannot happen; were it to, this batch is the probe.
        let probing = admission == .probe || admission == .wait
        let attempts = probing ? 1 : options.retries + 1
        var delay = options.retryDelay
        for attempt in 1...attempts {
            let started = Timestamps.monotonic()
            do {
                stats.roundTrips += 1
                let answer = try warehouse.answer(for: keys)
                let seconds = Timestamps.monotonic() - started
                stats.roundTripSeconds.append(seconds)
                breaker.record(healthy: true, now: Timestamps.monotonic())
                let found = keys.reduce(0) { $0 + (answer.totals[$1] != nil ? 1 : 0) }
                report(seconds: seconds, found: found, notFound: keys.count - found - answer.rejected.count)
                return answers(keys, answer)
            } catch let e as WarehouseError where e.isPermanent {
                // Retrying a configuration mistake cannot help, and it says nothing about the warehouse's health.
                throw e
            } catch let e as LTError {
                if attempt == attempts {
                    breaker.record(healthy: false, now: Timestamps.monotonic())
                    let what = probing ? "the probe after the cooldown failed" : "after \(attempts) attempts"
                    diagnostics.error("\(e.description) (\(keys.count) keys marked unavailable \(what); "
                                      + "failing fast for \(options.breakerCooldown) s)")
                    return unavailable(keys, e.description)
                }
                diagnostics.warning("\(e.description); retrying in \(Int(delay * 1000)) ms")
                Clock.sleep(seconds: delay * Double.random(in: 0.8...1.2))
                delay *= 2
            } catch {
                return unavailable(keys, "\(error)")
            }
        }
        return unavailable(keys, "no attempt was made")
    }

    /// Lookup records for a batch's answer, kept in memory and in the store. A key whose rows do
    /// not make a usable total (rejected by the warehouse, or negative) is `unavailable` on its
    /// own, named in its error, and neither remembered nor stored.
    private func answers(_ keys: [LookupKey], _ answer: WarehouseAnswer) -> [LookupKey: LookupResult] {
        let now = Timestamps.now()
        let today = Timestamps.todayUTC(now: now)
        var out: [LookupKey: LookupResult] = [:]
        out.reserveCapacity(keys.count)
        var toStore: [(LookupKey, Int64?)] = []
        toStore.reserveCapacity(keys.count)
        for k in keys {
            let t = answer.totals[k]
            let problem = answer.rejected[k] ?? t.flatMap { $0 < 0 ? "is \($0) seconds, which is negative" : nil }
            if let problem {
                let message = "the warehouse total for \(k) \(problem)"
                diagnostics.error("\(message); check the rows of that key in the warehouse")
                out[k] = LookupResult(status: .unavailable, error: message)
                continue
            }
            let r = t.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: today, source: .warehouse) }
                ?? LookupResult(status: .notFound, lastUpdated: today, source: .warehouse)
            out[k] = r
            remember(k, r)
            toStore.append((k, t))
        }
        if !toStore.isEmpty, let store, store.isEnabled { store.put(toStore, lastUpdated: today, now: now) }
        return out
    }

    private func remember(_ key: LookupKey, _ r: LookupResult) {
        if memory.count >= options.memoryEntries { memory.removeAll(keepingCapacity: true) }
        if memory.capacity == 0 { memory.reserveCapacity(options.memoryEntries) }
        memory[key] = r
    }

    /// Every lookup metric is reported here: a batch answered (`seconds` > 0) or keys that failed.
    private func report(seconds: Double = 0, found: Int = 0, notFound: Int = 0, failedKeys: Int = 0) {
        let m = Metrics.shared
        if failedKeys > 0 {
            m.increment("webhook.learning_time.query.failure", by: Double(failedKeys))
            return
        }
        m.histogram("webhook.learning_time.query.duration", seconds * 1000)
        m.increment("webhook.learning_time.query.success", by: Double(found), tags: [("status", "found")])
        m.increment("webhook.learning_time.query.success", by: Double(notFound), tags: [("status", "not_found")])
        m.gauge("webhook.learning_time.cache.hit_rate", stats.hitRate)
        m.gauge("webhook.enrichment.task.queued", Double(queuedLines))
    }
}
