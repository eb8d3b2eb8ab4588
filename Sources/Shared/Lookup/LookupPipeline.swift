/// lt-query's core: reads envelopes, resolves their keys from memory, the file cache and then
/// the warehouse in batches, and writes each line with its `lookup` record, in input order.
///
/// A line whose answer is known at once and has nothing queued ahead of it is written straight
/// from the reused buffer; only lines that wait for a batch keep a copy of their output prefix.
public final class LookupPipeline {
    private let warehouse: Warehouse
    private let cache: LookupCache?
    private let flag: EnrichmentFlag
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    public private(set) var stats = LookupStats()
    /// Lines already counted in the `task.queued` metric.
    private var linesReported = 0

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
    private var breaker: CircuitBreaker
    private var scratch = JSONBuffer(capacity: 4096)

    /// A PostgreSQL `warehouse` connects on first use, so a run answered from the cache never connects.
    public init(warehouse: Warehouse, cache: LookupCache?, flag: EnrichmentFlag,
                options: LookupOptions, diagnostics: Diagnostics, metrics: Metrics, output: OutputWriter) {
        self.warehouse = warehouse
        self.cache = cache
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.output = output
        // A batch that used up its retries is failure enough to open it.
        breaker = CircuitBreaker(threshold: 1, cooldown: options.breakerCooldown)
    }

    /// Processes every line of `reader`, flushing results whenever the input pauses.
    public func run(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in
            // Idle: let other processes' writes in and their checkpoints finish.
            self.cache?.flush()
            try? self.emitReady()
            try? self.output.flush()
        }
        while true {
            if !batchOrder.isEmpty {
                let remaining = batchDeadline - Timestamps.monotonic()
                if remaining <= 0 || !reader.waitForInput(milliseconds: Int32(remaining * 1000) + 1) {
                    try resolveBatch()
                    continue
                }
            }
            guard let line = try reader.next() else { break }
            try handle(line)
        }
        try finish()
    }

    /// Resolves what is still pending and writes it out.
    public func finish() throws {
        defer {
            cache?.flush()
            metrics.gauge(.cacheHitRate, stats.hitRate * 100)
            reportQueue()
        }
        try resolveBatch()
        try emitReady()
        try output.flush()
    }

    /// Lines queued since the last report, and the backlog now.
    private func reportQueue() {
        metrics.increment(.taskQueued, by: Double(stats.lines - linesReported))
        linesReported = stats.lines
        metrics.gauge(.taskBacklog, Double(queue.count - queueHead))
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
            diagnostics.error(e, at: line.location)
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
                if result == nil, batch.insert(k).inserted {
                    if batchOrder.isEmpty { batchDeadline = Timestamps.monotonic() + options.batchWindow }
                    batchOrder.append(k)
                }
            } catch let e as LTError {
                diagnostics.error(e, at: line.location)
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
        if batchOrder.count >= options.batchSize { try resolveBatch() }
    }

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
        if let r = memory[key] { stats.cacheHits += 1; log(key, r, seconds: 0, source: .cache); return r }
        guard let cache, cache.isEnabled else { return nil }
        let started = Timestamps.monotonic()
        if let entry = cache.get(key, now: Timestamps.now()) {
            // Not remembered in memory: the file cache answers a repeat nearly as fast, and a warm
            // backfill of distinct keys would only churn the table.
            stats.cacheHits += 1
            log(key, entry.result, seconds: Timestamps.monotonic() - started, source: .cache)
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

    /// One warehouse round trip for the pending keys (with retries), then fills in their lines.
    private func resolveBatch() throws {
        guard !batchOrder.isEmpty else { return }
        let keys = batchOrder
        batchOrder.removeAll(keepingCapacity: true)
        batch.removeAll(keepingCapacity: true)
        stats.batches += 1
        let results = lookUp(keys)
        for i in queueHead..<queue.count where queue[i].result == nil {
            if let k = queue[i].key { queue[i].result = results[k] }
        }
        try emitReady()
    }

    private func unavailable(_ keys: [LookupKey], _ message: String) -> [LookupKey: LookupResult] {
        metrics.increment(.queryFailure, by: Double(keys.count))
        let r = LookupResult(status: .unavailable, error: message)
        return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
    }

    private func lookUp(_ keys: [LookupKey]) -> [LookupKey: LookupResult] {
        let admission = breaker.admit(now: Timestamps.monotonic())
        if admission == .reject {
            stats.failedFast += 1
            return unavailable(keys, "the warehouse failed repeatedly; not asking it again until --breaker-cooldown has passed")
        }
        // One batch at a time here, so `.wait` only follows a probe that ended in a configuration
        // error (no verdict on the warehouse): this batch is the probe again.
        let probing = admission == .probe || admission == .wait
        let attempts = probing ? 1 : options.retries + 1
        var delay = options.retryDelay
        for attempt in 1...attempts {
            let started = Timestamps.monotonic()
            do {
                stats.roundTrips += 1
                let totals = try warehouse.totals(for: keys)
                let seconds = Timestamps.monotonic() - started
                stats.roundTripSeconds.record(seconds)
                breaker.record(healthy: true, now: Timestamps.monotonic())
                let found = keys.reduce(0) { $0 + (totals[$1] != nil ? 1 : 0) }
                metrics.observe(.queryDuration, seconds)
                metrics.increment(.querySuccess, by: Double(found), tags: [("status", "found")])
                metrics.increment(.querySuccess, by: Double(keys.count - found), tags: [("status", "not_found")])
                metrics.gauge(.cacheHitRate, stats.hitRate * 100)
                reportQueue()
                return answers(keys, totals, seconds: seconds)
            } catch let e as LTError {
                if e.kind == .configuration {
                    // Retrying a configuration mistake cannot help, and it says nothing about the warehouse's health.
                    diagnostics.error("the warehouse query cannot run; \(keys.count) keys marked unavailable",
                                      context: ["error": .string(e.description), "keys": .int(Int64(keys.count))])
                    return unavailable(keys, e.description)
                }
                if attempt == attempts {
                    breaker.record(healthy: false, now: Timestamps.monotonic())
                    let what = probing ? "the probe after the cooldown failed" : "after \(attempts) attempts"
                    diagnostics.error("the warehouse query failed; \(keys.count) keys marked unavailable \(what)",
                                      hint: "lookups fail fast for \(options.breakerCooldown) s, then one batch probes",
                                      context: ["error": .string(e.description), "retry_count": .int(Int64(attempt - 1)),
                                                "keys": .int(Int64(keys.count))])
                    return unavailable(keys, e.description)
                }
                diagnostics.warning("the warehouse query failed; retrying in \(Int(delay * 1000)) ms",
                                    context: ["error": .string(e.description), "retry_count": .int(Int64(attempt)),
                                              "keys": .int(Int64(keys.count))])
                Clock.sleep(seconds: delay * Double.random(in: 0.8...1.2))
                delay *= 2
            } catch {
                return unavailable(keys, "\(error)")
            }
        }
        return unavailable(keys, "no attempt was made")
    }

    /// Lookup records for a batch's answer, stored in memory and in the file cache.
    private func answers(_ keys: [LookupKey], _ totals: [LookupKey: Int64], seconds: Double) -> [LookupKey: LookupResult] {
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
            log(k, r, seconds: seconds, source: .warehouse)
            remember(k, r)
            toCache.append((k, t))
        }
        cache?.put(toCache, lastUpdated: today, now: now)
        return out
    }

    /// Logs one lookup as the specification's section 7.2 does: found at info, no data at warning,
    /// the facts in the record's context (for a batch, `query_duration_ms` is its round trip).
    private func log(_ key: LookupKey, _ r: LookupResult, seconds: Double, source: LookupSource) {
        let level: DiagnosticLevel = r.status == .found ? .info : .warning
        guard r.status == .found || r.status == .notFound, diagnostics.isOn(level) else { return }
        var context: LogContext = ["user_id": .int(key.userID), "course_id": .string(key.courseID),
                                   "enterprise_uuid": .string(key.enterpriseID),
                                   "query_duration_ms": .double((seconds * 1e6).rounded() / 1e3),
                                   "source": .string(source.rawValue)]
        if let total = r.totalSeconds {
            context["total_seconds"] = .int(total)
            diagnostics.info("learning time found", context: context)
        } else {
            diagnostics.warning("no learning time data for this learner and course", context: context)
        }
    }
}
