/// Turns lookup keys into lookup records: from memory, then the cache (a ``StoreGate``: the file
/// cache key by key as lines arrive, memcached once per batch), then the warehouse in batches, with retries and a circuit breaker. It is the one place lt-query's
/// answers come from, for the stream (``LookupPipeline``) and for ad-hoc lookups (``AdHocLookup``)
/// alike, and the one place that reports lookup metrics.
///
/// Warehouse work is split into ``submit(_:)`` and ``collect(_:)``, so that a caller keeps its
/// own order (the stream's lines) while up to ``maxInFlight`` batches are out at once: Snowflake
/// statements on one multi handle, PostgreSQL queries pipelined on one connection (a
/// ``ConcurrentWarehouse``); other warehouses answer each batch when it is sent. Each batch keeps
/// its own retries (and request id); the breaker sees the batches' outcomes as they come.
public final class LookupResolver {
    /// A submitted batch, to be collected once.
    public struct Ticket: Hashable, Sendable {
        fileprivate let id: Int
    }

    private let warehouse: ConcurrentWarehouse
    private let store: StoreGate?
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    /// Cache and warehouse counts for `--stats` (lines and statuses are the caller's).
    public private(set) var stats = LookupStats()
    /// Most batches submitted and not yet collected (`--max-statements`); a caller collects one
    /// before submitting past it. A warehouse that answers each batch when it is sent (SQLite) has
    /// one slot: more would only let keys and lines pile up in memory for no round trip saved.
    public var maxInFlight: Int { warehouse is SerialStatements ? 1 : options.maxStatements }
    /// Lines the caller holds back for answers, reported with each batch's metrics.
    public var queuedLines = 0

    private var memory: [LookupKey: LookupResult] = [:]
    private var breaker: CircuitBreaker
    private var nextTicket = 0
    private var answered: [Int: Outcome] = [:]
    /// Batches sent and not yet answered, by ticket, and batches waiting to be sent (again).
    private var inFlight: [Int: Flight] = [:]
    private var waiting: [Flight] = []

    private enum Outcome {
        case results([LookupKey: LookupResult])
        case failed(any Error)
    }

    public init(
        warehouse: Warehouse, store: StoreGate?, options: LookupOptions, diagnostics: Diagnostics,
        metrics: Metrics
    ) {
        self.warehouse = warehouse as? ConcurrentWarehouse ?? SerialStatements(warehouse)
        self.store = store
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        // A batch that used up its retries is failure enough to open it.
        breaker = CircuitBreaker(threshold: 1, cooldown: options.breakerCooldown)
        metrics.startAtZero(.querySuccess, tags: [("status", "found")])
        metrics.startAtZero(.querySuccess, tags: [("status", "not_found")])
        metrics.startAtZero(.queryFailure)
        metrics.startAtZero(.taskQueued)
    }

    /// The warehouse's printable name, for records that say where an answer came from.
    public var warehouseName: String { warehouse.displayName }

    /// The answer for `key` when memory or the store has it; nil when it must be asked of the warehouse.
    public func known(_ key: LookupKey) -> LookupResult? {
        if let r = memory[key] {
            stats.cacheHits += 1
            log(key, r, seconds: 0, source: .cache)
            return r
        }
        // A store read by batch is asked in submit(_:).
        guard let store, store.reads, !store.readsByBatch else { return nil }
        let started = Timestamps.monotonic()
        if let entry = store.get(key, now: Timestamps.now()) {
            // Not remembered in memory: the store answers a repeat nearly as fast, and a warm
            // backfill of distinct keys would only churn the table.
            stats.cacheHits += 1
            log(key, entry.result, seconds: Timestamps.monotonic() - started, source: .cache)
            return entry.result
        }
        stats.cacheMisses += 1
        return nil
    }

    /// Resolves `keys` (distinct, none of them known) as one batch, without waiting for the
    /// warehouse: a store read by batch answers what it holds in one round trip, and the rest
    /// goes to the warehouse.
    public func submit(_ keys: [LookupKey]) -> Ticket {
        let ticket = Ticket(id: nextTicket)
        nextTicket += 1
        var flight = Flight(
            ticket: ticket.id, keys: keys, requestID: WarehouseStatement.newRequestID(),
            attempts: options.retries + 1, delay: options.retryDelay, probing: false)
        if let store, store.reads, store.readsByBatch { flight = fromStore(flight, store) }
        if flight.keys.isEmpty {
            answered[ticket.id] = .results(flight.known)
            return ticket
        }
        stats.batches += 1
        waiting.append(flight)
        sendDue()
        // A warehouse that answers when asked has answered now.
        pump(waitingUpTo: 0)
        return ticket
    }

    /// True when ``collect(_:)`` will not wait for `ticket`.
    public func isAnswered(_ ticket: Ticket) -> Bool { answered[ticket.id] != nil }

    /// Batches submitted and not yet answered.
    public var outstanding: Int { inFlight.count + waiting.count }

    /// Moves the batches out along, waiting at most `seconds` for one to be answered (sooner when
    /// a retry falls due). Answered batches wait for ``collect(_:)``.
    public func poll(waitingUpTo seconds: Double) { pump(waitingUpTo: seconds) }

    /// The answers of a submitted batch, one per key: `found`, `not_found` or `unavailable`;
    /// waits for them. Throws a permanent warehouse error (``WarehouseError/isPermanent``): asking
    /// again cannot help, and answering `unavailable` would send partners lines without learning time.
    public func collect(_ ticket: Ticket) throws -> [LookupKey: LookupResult] {
        while answered[ticket.id] == nil {
            precondition(
                inFlight[ticket.id] != nil || waiting.contains { $0.ticket == ticket.id },
                "batch \(ticket.id) was not submitted or was collected already")
            pump(waitingUpTo: 1)
        }
        switch answered.removeValue(forKey: ticket.id)! {
        case .results(let r): return r
        case .failed(let e): throw e
        }
    }

    // MARK: Batches in flight

    // MARK: The start-up probe

    /// The start-up probe's ticket: no batch has a negative one.
    private static let probeTicket = -1
    /// True from ``startProbe()`` until the warehouse has answered it.
    public private(set) var probeRunning = false
    /// The probe's verdict when the warehouse cannot work as configured (failed login, missing
    /// table, column or grant): the caller stops before writing any line.
    public private(set) var probeFailure: WarehouseError?

    /// Sends the start-up probe (a statement that reads the table's columns and no rows) without
    /// waiting for it, so that it runs alongside the first batches instead of before them. Its
    /// verdict arrives through ``poll(waitingUpTo:)``: ``probeRunning`` turns false, and a
    /// configuration error lands in ``probeFailure``. A warehouse that cannot be reached is only
    /// a warning: its batches are retried as lines arrive.
    public func startProbe() {
        guard !probeRunning else { return }
        probeRunning = true
        warehouse.submit(WarehouseStatement.probe(ticket: Self.probeTicket))
    }

    private func settleProbe(_ outcome: WarehouseOutcome) {
        probeRunning = false
        guard case .failure(let e) = outcome.result else { return }
        if e.isPermanent {
            probeFailure = e
        } else {
            diagnostics.warning("\(e.description); lookups will be retried as lines arrive")
        }
    }

    /// A batch between its submission and its answer: in flight, or waiting to be sent (again).
    private struct Flight {
        let ticket: Int
        let keys: [LookupKey]
        let requestID: String
        /// Attempts made so far, and the most allowed (1 for the breaker's probe).
        var attempt = 0
        var attempts: Int
        var delay: Double
        /// When a waiting batch may be sent (again).
        var due = 0.0
        var probing: Bool
        /// When its latest attempt was sent.
        var sentAt = 0.0
        /// Answers the store gave for the batch's other keys, handed back with the warehouse's.
        var known: [LookupKey: LookupResult] = [:]
    }

    /// The batch with the store's hits taken out of its keys and into ``Flight/known``.
    private func fromStore(_ flight: Flight, _ store: StoreGate) -> Flight {
        var f = flight
        let started = Timestamps.monotonic()
        let entries = store.get(f.keys, now: Timestamps.now())
        let seconds = Timestamps.monotonic() - started
        var misses: [LookupKey] = []
        for (k, e) in zip(f.keys, entries) {
            if let e {
                stats.cacheHits += 1
                f.known[k] = e.result
                log(k, e.result, seconds: seconds, source: .cache)
            } else {
                stats.cacheMisses += 1
                misses.append(k)
            }
        }
        f = Flight(
            ticket: f.ticket, keys: misses, requestID: f.requestID, attempts: f.attempts, delay: f.delay,
            probing: false, known: f.known)
        return f
    }

    /// Records a batch's answers, with those the store gave.
    private func answer(_ f: Flight, _ results: [LookupKey: LookupResult]) {
        answered[f.ticket] = .results(f.known.isEmpty ? results : results.merging(f.known) { a, _ in a })
    }

    /// When the warehouse last timed out (``WarehouseError/timedOut(_:)``) and nothing has been
    /// answered since. A frozen warehouse gets one more attempt (one reconnection) after a timeout:
    /// a second timeout of an attempt sent after the first opens the breaker, so that the stream
    /// stalls for at most the statement timeout plus one connect timeout, not once per retry.
    private var timedOutAt: Double?

    private static let failingFast =
        "the warehouse failed repeatedly; not asking it again until --breaker-cooldown has passed"

    private func send(_ flight: Flight) {
        var flight = flight
        flight.sentAt = Timestamps.monotonic()
        inFlight[flight.ticket] = flight
        stats.roundTrips += 1
        warehouse.submit(
            WarehouseStatement(
                ticket: flight.ticket, keys: flight.keys, attempt: flight.attempt,
                requestID: flight.requestID))
    }

    /// Sends the waiting batches that are due, as the breaker allows. New batches are held while
    /// another batch is retrying or a probe is out, so that a failing warehouse sees what it would
    /// see one batch at a time: the retries of one batch, then the breaker's verdict for the rest.
    private func sendDue() {
        guard !waiting.isEmpty else { return }
        let now = Timestamps.monotonic()
        var retrying = inFlight.values.contains { $0.attempt > 0 } || waiting.contains { $0.attempt > 0 }
        var later: [Flight] = []
        var rejected: [Flight] = []
        for var f in waiting {
            if f.due > now { later.append(f); continue }
            if f.attempt > 0 {
                if breaker.isOpen {
                    rejected.append(f)
                } else if timedOutAt != nil && inFlight.values.contains(where: { $0.attempt > 0 }) {
                    // After a timeout one retry reconnects; the others wait for its verdict.
                    f.due = now + 0.01
                    later.append(f)
                } else {
                    send(f)
                }
                continue
            }
            if retrying {
                f.due = now + 0.01
                later.append(f)
                continue
            }
            switch breaker.admit(now: now) {
            case .wait:
                f.due = now + 0.01
                later.append(f)
            case .reject:
                rejected.append(f)
            case .probe:
                f.probing = true
                f.attempts = 1
                retrying = true
                send(f)
            case .send:
                send(f)
            }
        }
        waiting = later
        for f in rejected {
            stats.failedFast += 1
            answer(f, unavailable(f.keys, Self.failingFast))
        }
    }

    /// Collects the batches answered within `seconds` and sends what is due.
    private func pump(waitingUpTo seconds: Double) {
        sendDue()
        var wait = seconds
        if let due = waiting.map(\.due).min() { wait = min(wait, max(0, due - Timestamps.monotonic())) }
        if inFlight.isEmpty && !probeRunning {
            if wait > 0 && !waiting.isEmpty { Clock.sleep(seconds: wait) }
        } else {
            for outcome in warehouse.collect(waitingUpTo: wait) { complete(outcome) }
        }
        sendDue()
    }

    /// A batch's outcome: its answers, or another attempt scheduled.
    private func complete(_ outcome: WarehouseOutcome) {
        if outcome.ticket == Self.probeTicket { return settleProbe(outcome) }
        guard var f = inFlight.removeValue(forKey: outcome.ticket) else { return }
        f.attempt += 1
        let e: WarehouseError
        switch outcome.result {
        case .success(let answer):
            timedOutAt = nil
            stats.roundTripSeconds.record(outcome.seconds)
            breaker.record(healthy: true, now: Timestamps.monotonic())
            let found = f.keys.reduce(0) { $0 + (answer.totals[$1] != nil ? 1 : 0) }
            report(seconds: outcome.seconds, found: found, notFound: f.keys.count - found - answer.rejected.count)
            self.answer(f, answers(f.keys, answer, seconds: outcome.seconds))
            return
        case .failure(let error):
            e = error
        }
        if e.isPermanent {
            // Retrying a configuration mistake cannot help, and it says nothing about the warehouse's health.
            if f.probing { breaker.record(healthy: true, now: Timestamps.monotonic()) }
            answered[f.ticket] = .failed(e)
            return
        }
        var attempts = f.attempts
        if case .timedOut = e {
            if let t = timedOutAt, f.sentAt > t {
                attempts = f.attempt  // the second timeout: no further attempt
            } else {
                timedOutAt = max(timedOutAt ?? 0, Timestamps.monotonic())
            }
        }
        if f.attempt >= attempts {
            breaker.record(healthy: false, now: Timestamps.monotonic())
            let what = f.probing ? "the probe after the cooldown failed" : "after \(f.attempt) attempts"
            diagnostics.error(
                "the warehouse query failed; \(f.keys.count) keys marked unavailable \(what)",
                hint: "lookups fail fast for \(options.breakerCooldown) s, then one batch probes",
                context: [
                    "error": .string(e.description), "retry_count": .int(Int64(f.attempt - 1)),
                    "keys": .int(Int64(f.keys.count)),
                ])
            answer(f, unavailable(f.keys, e.description))
            return
        }
        if breaker.isOpen {
            // Another batch used up its retries meanwhile: this one fails fast too.
            stats.failedFast += 1
            diagnostics.error(
                "the warehouse query failed; \(f.keys.count) keys marked unavailable",
                hint: "another batch opened the breaker; lookups fail fast for \(options.breakerCooldown) s",
                context: [
                    "error": .string(e.description), "retry_count": .int(Int64(f.attempt - 1)),
                    "keys": .int(Int64(f.keys.count)),
                ])
            answer(f, unavailable(f.keys, e.description))
            return
        }
        diagnostics.warning(
            "the warehouse query failed; retrying in \(Int(f.delay * 1000)) ms",
            context: [
                "error": .string(e.description), "retry_count": .int(Int64(f.attempt)),
                "keys": .int(Int64(f.keys.count)),
            ])
        f.due = Timestamps.monotonic() + f.delay * Double.random(in: 0.8...1.2)
        f.delay *= 2
        waiting.append(f)
    }

    /// Lets the store commit its writes and let go of its files: the input has paused.
    public func idle() { store?.flush() }

    /// Commits what the store gathered and reports the run's hit rate.
    public func finish() {
        store?.flush()
        reportHitRate()
    }

    /// The cache's hit rate, only when there is a cache: a `--no-cache` run reports none, so the
    /// "cache not helping" alert does not fire on purpose-built runs (docs/monitoring.md).
    private func reportHitRate() {
        guard store != nil else { return }
        metrics.gauge(.cacheHitRate, stats.hitRate * 100)
    }

    private func unavailable(_ keys: [LookupKey], _ message: String) -> [LookupKey: LookupResult] {
        report(failedKeys: keys.count)
        let r = LookupResult(status: .unavailable, error: message)
        return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
    }

    /// Lookup records for a batch's answer, kept in memory and in the store. A key whose rows do
    /// not make a usable total (rejected by the warehouse, negative, or, with `--last-updated rows`,
    /// without a readable latest day) is `unavailable` on its own, named in its error, and neither
    /// remembered nor stored.
    private func answers(_ keys: [LookupKey], _ answer: WarehouseAnswer, seconds: Double) -> [LookupKey: LookupResult] {
        let now = Timestamps.now()
        let today = Timestamps.todayUTC(now: now)
        var out: [LookupKey: LookupResult] = [:]
        out.reserveCapacity(keys.count)
        var toStore: [String: [(LookupKey, Int64?)]] = [:]
        for k in keys {
            let t = answer.totals[k]
            var problem = answer.rejected[k] ?? t.flatMap { $0 < 0 ? "is \($0) seconds, which is negative" : nil }
            var updated = today
            if problem == nil, t != nil, options.lastUpdated == .rows {
                let latest = answer.latestDates[k]
                if let day = latest.flatMap(Timestamps.dayAfter) {
                    updated = day
                } else {
                    problem =
                        "has no usable latest day: \(latest.map { "\"\($0.prefix(40))\" is not a date" } ?? "no DATE")"
                }
            }
            if let problem {
                let message = "the warehouse total for \(k) \(problem)"
                diagnostics.error("\(message); check the rows of that key in the warehouse")
                out[k] = LookupResult(status: .unavailable, error: message)
                continue
            }
            let r =
                t.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: updated, source: .warehouse) }
                ?? LookupResult(status: .notFound, lastUpdated: updated, source: .warehouse)
            out[k] = r
            log(k, r, seconds: seconds, source: .warehouse)
            remember(k, r)
            toStore[updated, default: []].append((k, t))
        }
        if !toStore.isEmpty, let store {
            for (updated, entries) in toStore { store.put(entries, lastUpdated: updated, now: now) }
        }
        return out
    }

    private func remember(_ key: LookupKey, _ r: LookupResult) {
        if memory.count >= options.memoryEntries { memory.removeAll(keepingCapacity: true) }
        if memory.capacity == 0 { memory.reserveCapacity(options.memoryEntries) }
        memory[key] = r
    }

    /// Every lookup metric is reported here: a batch answered (`seconds` > 0) or keys that failed.
    private func report(seconds: Double = 0, found: Int = 0, notFound: Int = 0, failedKeys: Int = 0) {
        if failedKeys > 0 {
            metrics.increment(.queryFailure, by: Double(failedKeys))
            return
        }
        metrics.observe(.queryDuration, seconds)
        metrics.increment(.querySuccess, by: Double(found), tags: [("status", "found")])
        metrics.increment(.querySuccess, by: Double(notFound), tags: [("status", "not_found")])
        reportHitRate()
        metrics.gauge(.taskBacklog, Double(queuedLines))
    }

    /// Logs one lookup as the specification's section 7.2 does: found at info, no data at warning,
    /// the facts in the record's context (for a batch, `query_duration_ms` is its round trip).
    private func log(_ key: LookupKey, _ r: LookupResult, seconds: Double, source: LookupSource) {
        let level: DiagnosticLevel = r.status == .found ? .info : .warning
        guard r.status == .found || r.status == .notFound, diagnostics.isOn(level) else { return }
        func context() -> LogContext {
            var c: LogContext = [
                "user_id": .int(key.userID), "course_id": .string(key.courseID),
                "enterprise_uuid": .string(key.enterpriseID),
                "query_duration_ms": .double((seconds * 1e6).rounded() / 1e3),
                "source": .string(source.rawValue),
            ]
            if let total = r.totalSeconds { c["total_seconds"] = .int(total) }
            return c
        }
        if r.totalSeconds != nil {
            diagnostics.info("learning time found", context: context())
        } else {
            diagnostics.warning("no learning time data for this learner and course", context: context())
        }
    }
}
