/// lt-query's core: reads envelopes, resolves their keys from memory, the file cache and then
/// the warehouse in batches, and writes each line with its `lookup` record, in input order.
public final class LookupPipeline {
    private let warehouse: () throws -> Warehouse
    private var openedWarehouse: Warehouse?
    private let cache: LookupCache?
    private let flag: EnrichmentFlag
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    private let output: OutputWriter
    public private(set) var stats = LookupStats()

    /// A line waiting for its batch: its output up to the lookup value, and its key.
    private struct Pending {
        var prefix: [UInt8]
        var key: LookupKey?
        var result: LookupResult?
    }

    private var queue: [Pending] = []
    private var queueHead = 0
    private var batch: [LookupKey: Void] = [:]
    private var batchOrder: [LookupKey] = []
    private var batchDeadline = 0.0
    private var memory: [LookupKey: LookupResult] = [:]
    private var breakerOpenUntil = 0.0
    private var scratch = JSONBuffer(capacity: 4096)

    /// `warehouse` is opened on first use, so that a run answered wholly from the cache never connects.
    public init(warehouse: @escaping () throws -> Warehouse, cache: LookupCache?, flag: EnrichmentFlag,
                options: LookupOptions, diagnostics: Diagnostics, output: OutputWriter) {
        self.warehouse = warehouse
        self.cache = cache
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.output = output
    }

    /// Processes every line of `reader`, flushing results whenever the input pauses.
    public func run(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in
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
        try resolveBatch()
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
            enqueue(Pending(prefix: scratch.bytes, key: nil, result: nil), complete: true)
            return
        }
        if envelope.isErrorRecord {
            stats.errors += 1
            diagnostics.markFailed()
            enqueue(Pending(prefix: Array(line.bytes), key: nil, result: nil), complete: true)
            return
        }
        var pending = Pending(prefix: prefix(envelope), key: nil, result: nil)
        if !envelope.isCourseCompletion {
            pending.result = LookupResult(status: .skipped, reason: "not_completion")
        } else if !flag.isEnabled(enterprise: envelope.enterpriseID, integration: envelope.integration) {
            pending.result = LookupResult(status: .skipped, reason: "flag_off")
        } else {
            do {
                let key = try envelope.lookupKey()
                pending.key = key
                pending.result = cached(key)
                if pending.result == nil, batch.updateValue((), forKey: key) == nil {
                    if batchOrder.isEmpty { batchDeadline = Timestamps.monotonic() + options.batchWindow }
                    batchOrder.append(key)
                }
            } catch let e as LTError {
                diagnostics.error(e.description, at: line.location)
                pending.result = LookupResult(status: .invalid, error: e.description)
            }
        }
        enqueue(pending, complete: pending.result != nil)
        if batchOrder.count >= options.batchSize { try resolveBatch() }
    }

    /// The line's output up to where the lookup value goes: `{…members…,"lookup":`.
    private func prefix(_ envelope: Envelope) -> [UInt8] {
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
        return scratch.bytes
    }

    private func cached(_ key: LookupKey) -> LookupResult? {
        if let r = memory[key] { stats.cacheHits += 1; return r }
        guard let cache, cache.isEnabled else { return nil }
        if let entry = cache.get(key, now: Timestamps.now()) {
            stats.cacheHits += 1
            let r = entry.totalSeconds.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: entry.lastUpdated, source: .cache) }
                ?? LookupResult(status: .notFound, lastUpdated: entry.lastUpdated, source: .cache)
            remember(key, r)
            return r
        }
        stats.cacheMisses += 1
        return nil
    }

    private func remember(_ key: LookupKey, _ r: LookupResult) {
        if memory.count >= options.memoryEntries { memory.removeAll(keepingCapacity: true) }
        memory[key] = r
    }

    private func enqueue(_ p: Pending, complete: Bool) {
        queue.append(p)
        if complete && queue.count - queueHead == 1 { try? emitReady() }
    }

    /// Writes out every line at the front of the queue whose lookup is known.
    private func emitReady() throws {
        while queueHead < queue.count {
            let p = queue[queueHead]
            if p.key != nil && p.result == nil { break }
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

    private func lookUp(_ keys: [LookupKey]) -> [LookupKey: LookupResult] {
        let now = Timestamps.now()
        if now < breakerOpenUntil {
            let r = LookupResult(status: .unavailable, error: "warehouse circuit open after repeated failures; retrying after the cooldown")
            return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
        }
        var attempt = 0
        var delay = options.retryDelay
        while true {
            let started = Timestamps.monotonic()
            do {
                let w = try openedWarehouse ?? warehouse()
                openedWarehouse = w
                stats.roundTrips += 1
                let totals = try w.totals(for: keys)
                stats.roundTripSeconds.append(Timestamps.monotonic() - started)
                let today = Timestamps.todayUTC(now: now)
                var out: [LookupKey: LookupResult] = [:]
                var toCache: [(LookupKey, Int64?)] = []
                for k in keys {
                    let t = totals[k]
                    let r = t.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: today, source: .warehouse) }
                        ?? LookupResult(status: .notFound, lastUpdated: today, source: .warehouse)
                    out[k] = r
                    remember(k, r)
                    toCache.append((k, t))
                }
                cache?.put(toCache, lastUpdated: today, now: now)
                return out
            } catch let e as LTError {
                if e.exitCode == 2 || attempt >= options.retries {
                    diagnostics.error("\(e.description) (\(keys.count) keys marked unavailable after \(attempt + 1) attempts)")
                    if e.exitCode != 2 { breakerOpenUntil = Timestamps.now() + options.breakerCooldown }
                    let r = LookupResult(status: .unavailable, error: e.description)
                    return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
                }
                diagnostics.warning("\(e.description); retrying in \(Int(delay * 1000)) ms")
                openedWarehouse = nil
                let jittered = delay * Double.random(in: 0.8...1.2)
                Clock.sleep(seconds: jittered)
                delay *= 2
                attempt += 1
            } catch {
                let r = LookupResult(status: .unavailable, error: "\(error)")
                return Dictionary(uniqueKeysWithValues: keys.map { ($0, r) })
            }
        }
    }
}
