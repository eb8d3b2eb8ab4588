/// lt-query's core: reads envelopes, resolves their keys from memory, the file cache and then
/// the warehouse in batches, and writes each line with its `lookup` record, in input order.
///
/// A line whose answer is known at once and has nothing queued ahead of it is written straight
/// from the reused buffer; only lines that wait for a batch keep a copy of their output prefix.
public final class LookupPipeline {
    private let warehouse: ConcurrentWarehouse
    private let cache: LookupCache?
    private let flag: EnrichmentFlag
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    private let output: OutputWriter
    public private(set) var stats = LookupStats()

    /// A line waiting for its batch (or behind one): its output up to the lookup value, and its key.
    private struct Pending {
        var prefix: [UInt8]
        var key: LookupKey?
        var result: LookupResult?
        /// False for lines that are written whole (error records), without a lookup member.
        var hasLookup: Bool
    }

    private var queue: [Pending] = []
    private var queueHead = 0
    private var batch: Set<LookupKey> = []
    private var batchOrder: [LookupKey] = []
    private var batchDeadline = 0.0
    private var memory: [LookupKey: LookupResult] = [:]
    /// Batches sent and not yet answered, by ticket, and batches waiting to be sent (again).
    private var inFlight: [Int: Flight] = [:]
    private var waiting: [Flight] = []
    /// The keys of those batches, so that a repeat waits for its batch instead of joining another.
    private var keysInFlight: Set<LookupKey> = []
    private var nextTicket = 0
    private var nextLook = 0.0
    private var breaker: CircuitBreaker
    private var scratch = JSONBuffer(capacity: 4096)

    /// A PostgreSQL `warehouse` connects on first use, so a run answered from the cache never connects.
    /// One that cannot run several statements at once runs one batch at a time.
    public init(warehouse: Warehouse, cache: LookupCache?, flag: EnrichmentFlag,
                options: LookupOptions, diagnostics: Diagnostics, output: OutputWriter) {
        self.warehouse = warehouse as? ConcurrentWarehouse ?? SerialStatements(warehouse)
        self.cache = cache
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.output = output
        // A batch that used up its retries is failure enough to open it.
        breaker = CircuitBreaker(threshold: 1, cooldown: options.breakerCooldown)
    }

    /// Processes every line of `reader`, flushing results whenever the input pauses.
    public func run(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in self.idle() }
        while true {
            if !batchOrder.isEmpty || !inFlight.isEmpty || !waiting.isEmpty {
                let now = Timestamps.monotonic()
                // Past its window the open batch goes when a statement slot is free, and, while other
                // statements run and lines keep coming, only once it is full: the lines behind a running
                // batch wait for it anyway, and small batches would waste the slots.
                let due = !batchOrder.isEmpty && batchDeadline <= now && hasFreeSlot
                if due && inFlight.isEmpty && waiting.isEmpty { try dispatchBatch() }
                // Between lines, look at the warehouse about once a millisecond, not once a line.
                if now >= nextLook {
                    nextLook = now + 0.001
                    try pump(waitingUpTo: 0)
                }
                if !reader.waitForInput(milliseconds: 0) {
                    if due && !batchOrder.isEmpty {
                        try dispatchBatch()
                        continue
                    }
                    // The input pauses while batches are out: wait for them in short slices, so that a
                    // line arriving meanwhile is not held up, and write out what they answer.
                    var slice = 0.005
                    if !batchOrder.isEmpty && hasFreeSlot {
                        slice = min(slice, max(0, batchDeadline - Timestamps.monotonic()))
                    }
                    if inFlight.isEmpty && waiting.isEmpty {
                        _ = reader.waitForInput(milliseconds: Int32(slice * 1000) + 1)
                    } else {
                        try pump(waitingUpTo: slice)
                    }
                    idle()
                    continue
                }
            }
            guard let line = try reader.next() else { break }
            try handle(line)
        }
        try finish()
    }

    /// The input is idle: let other processes' writes in and their checkpoints finish, and send
    /// what is ready.
    private func idle() {
        cache?.flush()
        try? emitReady()
        try? output.flush()
    }

    /// Resolves what is still pending and writes it out.
    public func finish() throws {
        defer {
            cache?.flush()
            Metrics.shared.gauge("webhook.learning_time.cache.hit_rate", stats.hitRate)
        }
        try drain()
        try emitReady()
        try output.flush()
    }

    private func handle(_ line: InputLine) throws {
        stats.lines += 1
        let envelope: Envelope
        do {
            if let total = line.truncatedFrom {
                throw InputError("line is \(total) bytes long, over the limit", hint: "split the payload or raise the limit")
            }
            envelope = try Envelope(line.bytes)
        } catch let e as LTError {
            stats.errors += 1
            diagnostics.error(e.description, at: line.location)
            scratch.removeAll()
            ErrorRecord.make(tool: diagnostics.tool, location: line.location, error: e, line: line, into: &scratch)
            try writeWhole(scratch.bytes)
            return
        }
        if envelope.isErrorRecord {
            stats.errors += 1
            diagnostics.markFailed()
            try writeWhole(Array(line.bytes))
            return
        }
        var key: LookupKey?
        var result: LookupResult?
        if !envelope.isCourseCompletion {
            result = LookupResult(status: .skipped, reason: "not_completion")
        } else if !flag.isEnabled(enterprise: envelope.enterpriseID, integration: envelope.integration) {
            result = LookupResult(status: .skipped, reason: "flag_off")
        } else {
            do {
                let k = try envelope.lookupKey()
                key = k
                result = cached(k)
                if result == nil, !keysInFlight.contains(k), batch.insert(k).inserted {
                    if batchOrder.isEmpty { batchDeadline = Timestamps.monotonic() + options.batchWindow }
                    batchOrder.append(k)
                }
            } catch let e as LTError {
                diagnostics.error(e.description, at: line.location)
                result = LookupResult(status: .invalid, error: e.description)
            }
        }
        writePrefix(envelope)
        if let result, queueHead == queue.count {
            // Nothing waits ahead of this line: write it now, from the reused buffer.
            stats.byStatus[result.status, default: 0] += 1
            result.write(to: &scratch)
            scratch.endObject()
            try output.write(scratch.bytes)
            try output.endLine()
        } else {
            queue.append(Pending(prefix: scratch.bytes, key: key, result: result, hasLookup: true))
        }
        if batchOrder.count >= options.batchSize { try dispatchBatch() }
        // Lines held behind running batches are bounded: past the limit, wait for the oldest answers.
        while queue.count - queueHead >= maxQueued {
            if !inFlight.isEmpty || !waiting.isEmpty {
                try pump(waitingUpTo: 1)
            } else if !batchOrder.isEmpty {
                try dispatchBatch()
            } else {
                try emitReady()
                break
            }
        }
    }

    /// Most lines held behind running batches: room for every statement in flight and one filling.
    private var maxQueued: Int { (options.maxStatements + 1) * options.batchSize }

    /// A line written as it is (an error record), in its place in the order.
    private func writeWhole(_ bytes: [UInt8]) throws {
        if queueHead == queue.count {
            try output.write(bytes)
            try output.endLine()
        } else {
            queue.append(Pending(prefix: bytes, key: nil, result: nil, hasLookup: false))
        }
    }

    /// Puts the line's output up to where the lookup value goes in `scratch`: `{…members…,"lookup":`.
    private func writePrefix(_ envelope: Envelope) {
        scratch.removeAll()
        scratch.beginObject()
        if envelope.isBare {
            scratch.key("payload"); scratch.raw(envelope.json.bytes(envelope.payload!))
        } else {
            for m in envelope.members where !envelope.json.key(of: m, equals: "lookup") {
                scratch.rawMember(envelope.json.bytes(m.whole))
            }
        }
        scratch.key("lookup")
    }

    private func cached(_ key: LookupKey) -> LookupResult? {
        if let r = memory[key] { stats.cacheHits += 1; return r }
        guard let cache, cache.isEnabled else { return nil }
        if let entry = cache.get(key, now: Timestamps.now()) {
            // Not remembered in memory: the file cache answers a repeat nearly as fast, and a warm
            // backfill of distinct keys would only churn the table.
            stats.cacheHits += 1
            return entry.result
        }
        stats.cacheMisses += 1
        return nil
    }

    private func remember(_ key: LookupKey, _ r: LookupResult) {
        if memory.count >= options.memoryEntries { memory.removeAll(keepingCapacity: true) }
        if memory.capacity == 0 { memory.reserveCapacity(options.memoryEntries) }
        memory[key] = r
    }

    /// Writes out every line at the front of the queue whose lookup is known.
    private func emitReady() throws {
        while queueHead < queue.count {
            let p = queue[queueHead]
            if p.hasLookup && p.result == nil { break }
            try output.write(p.prefix)
            if let r = p.result {
                stats.byStatus[r.status, default: 0] += 1
                scratch.removeAll()
                r.write(to: &scratch)
                try output.write(scratch.bytes)
                try output.write(byte: UInt8(ascii: "}"))
            }
            try output.endLine()
            queueHead += 1
        }
        if queueHead == queue.count { queue.removeAll(keepingCapacity: true); queueHead = 0 }
    }

    /// A batch between its dispatch and its answer: in flight, or waiting to be sent again.
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
    }

    /// Sends the open batch (waiting for a free statement slot first), or answers it at once when
    /// the breaker is open.
    private func dispatchBatch() throws {
        guard !batchOrder.isEmpty else { return }
        // Take in what has finished first: a failure seen now holds this batch back (see sendDue).
        try pump(waitingUpTo: 0)
        while inFlight.count + waiting.count >= options.maxStatements { try pump(waitingUpTo: 1) }
        let keys = batchOrder
        batchOrder.removeAll(keepingCapacity: true)
        batch.removeAll(keepingCapacity: true)
        stats.batches += 1
        nextTicket += 1
        keysInFlight.formUnion(keys)
        waiting.append(Flight(ticket: nextTicket, keys: keys, requestID: WarehouseStatement.newRequestID(),
                              attempts: options.retries + 1, delay: options.retryDelay, probing: false))
        try sendDue()
    }

    private var hasFreeSlot: Bool { inFlight.count + waiting.count < options.maxStatements }

    private static let failingFast =
        "the warehouse failed repeatedly; not asking it again until --breaker-cooldown has passed"

    private func send(_ flight: Flight) {
        inFlight[flight.ticket] = flight
        warehouse.submit(WarehouseStatement(ticket: flight.ticket, keys: flight.keys, attempt: flight.attempt,
                                            requestID: flight.requestID))
    }

    /// Sends the waiting batches that are due, as the breaker allows. New batches are held while
    /// another batch is retrying or a probe is out, so that a failing warehouse sees what it would
    /// see one batch at a time: the retries of one batch, then the breaker's verdict for the rest.
    private func sendDue() throws {
        guard !waiting.isEmpty else { return }
        let now = Timestamps.monotonic()
        var retrying = inFlight.values.contains { $0.attempt > 0 } || waiting.contains { $0.attempt > 0 }
        var later: [Flight] = []
        var rejected: [Flight] = []
        for var f in waiting {
            if f.due > now { later.append(f); continue }
            if f.attempt > 0 {
                if breaker.isOpen { rejected.append(f) } else { send(f) }
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
            try fill(f.keys, unavailable(f.keys, Self.failingFast))
        }
    }

    /// Collects the statements that finish within `seconds` (sooner when a retry falls due),
    /// fills in their lines and sends what is due.
    private func pump(waitingUpTo seconds: Double) throws {
        try sendDue()
        var wait = seconds
        if let due = waiting.map(\.due).min() { wait = min(wait, max(0, due - Timestamps.monotonic())) }
        if inFlight.isEmpty {
            if wait > 0 && !waiting.isEmpty { Clock.sleep(seconds: wait) }
        } else {
            for outcome in warehouse.collect(waitingUpTo: wait) { try complete(outcome) }
        }
        try sendDue()
    }

    /// Waits until every batch has been answered.
    private func drain() throws {
        try dispatchBatch()
        while !inFlight.isEmpty || !waiting.isEmpty { try pump(waitingUpTo: 1) }
    }

    /// A statement's outcome: its lines filled in, or the batch scheduled for another attempt.
    private func complete(_ outcome: WarehouseOutcome) throws {
        guard var f = inFlight.removeValue(forKey: outcome.ticket) else { return }
        stats.roundTrips += 1
        f.attempt += 1
        let e: WarehouseError
        switch outcome.result {
        case .success(let totals):
            stats.roundTripSeconds.append(outcome.seconds)
            breaker.record(healthy: true, now: Timestamps.monotonic())
            let found = f.keys.reduce(0) { $0 + (totals[$1] != nil ? 1 : 0) }
            Metrics.shared.histogram("webhook.learning_time.query.duration", outcome.seconds * 1000)
            Metrics.shared.increment("webhook.learning_time.query.success", by: Double(found),
                                     tags: [("status", "found")])
            Metrics.shared.increment("webhook.learning_time.query.success", by: Double(f.keys.count - found),
                                     tags: [("status", "not_found")])
            Metrics.shared.gauge("webhook.learning_time.cache.hit_rate", stats.hitRate)
            Metrics.shared.gauge("webhook.enrichment.task.queued", Double(queue.count - queueHead))
            try fill(f.keys, answers(f.keys, totals))
            return
        case .failure(let error):
            e = error
        }
        if e.exitCode == 2 {
            // Retrying a configuration mistake cannot help, and it says nothing about the warehouse's health.
            if f.probing { breaker.record(healthy: true, now: Timestamps.monotonic()) }
            diagnostics.error("\(e.description) (\(f.keys.count) keys marked unavailable)")
            try fill(f.keys, unavailable(f.keys, e.description))
            return
        }
        if f.attempt >= f.attempts {
            breaker.record(healthy: false, now: Timestamps.monotonic())
            let what = f.probing ? "the probe after the cooldown failed" : "after \(f.attempts) attempts"
            diagnostics.error("\(e.description) (\(f.keys.count) keys marked unavailable \(what); "
                              + "failing fast for \(options.breakerCooldown) s)")
            try fill(f.keys, unavailable(f.keys, e.description))
            return
        }
        if breaker.isOpen {
            // Another batch used up its retries meanwhile: this one fails fast too.
            stats.failedFast += 1
            diagnostics.error("\(e.description) (\(f.keys.count) keys marked unavailable; failing fast for "
                              + "\(options.breakerCooldown) s)")
            try fill(f.keys, unavailable(f.keys, e.description))
            return
        }
        diagnostics.warning("\(e.description); retrying in \(Int(f.delay * 1000)) ms")
        f.due = Timestamps.monotonic() + f.delay * Double.random(in: 0.8...1.2)
        f.delay *= 2
        waiting.append(f)
    }

    /// Fills in the lines waiting for `keys` and writes out what is ready.
    private func fill(_ keys: [LookupKey], _ results: [LookupKey: LookupResult]) throws {
        keysInFlight.subtract(keys)
        for i in queueHead..<queue.count where queue[i].result == nil {
            if let k = queue[i].key, let r = results[k] { queue[i].result = r }
        }
        try emitReady()
    }

    private func unavailable(_ keys: [LookupKey], _ message: String) -> [LookupKey: LookupResult] {
        Metrics.shared.increment("webhook.learning_time.query.failure", by: Double(keys.count))
        let r = LookupResult(status: .unavailable, error: message)
        return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
    }

    /// Lookup records for a batch's answer, stored in memory and in the file cache.
    private func answers(_ keys: [LookupKey], _ totals: [LookupKey: Int64]) -> [LookupKey: LookupResult] {
        let now = Timestamps.now()
        let today = Timestamps.todayUTC(now: now)
        var out: [LookupKey: LookupResult] = [:]
        out.reserveCapacity(keys.count)
        var toCache: [(LookupKey, Int64?)] = []
        toCache.reserveCapacity(keys.count)
        for k in keys {
            let t = totals[k]
            if let t, t < 0 {
                let message = "the warehouse total for \(k) is \(t) seconds, which is negative"
                diagnostics.error("\(message); check the rows of that key in the warehouse")
                out[k] = LookupResult(status: .unavailable, error: message)
                continue
            }
            let r = t.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: today, source: .warehouse) }
                ?? LookupResult(status: .notFound, lastUpdated: today, source: .warehouse)
            out[k] = r
            remember(k, r)
            toCache.append((k, t))
        }
        cache?.put(toCache, lastUpdated: today, now: now)
        return out
    }
}
