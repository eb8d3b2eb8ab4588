/// lt-query's core: reads envelopes, gathers their keys into batches for the ``LookupResolver``
/// (memory, file cache, warehouse), and writes each line with its `lookup` record, in input order.
///
/// A line whose answer is known at once and has nothing queued ahead of it is written straight
/// from the reused buffer; only lines that wait for a batch keep a copy of their output prefix.
public final class LookupPipeline {
    private let resolver: LookupResolver
    private let flag: EnrichmentFlag
    private let options: LookupOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    /// Lines, errors and statuses; the resolver counts the rest.
    private var counts = LookupStats()
    /// Lines already counted in the `task.queued` metric.
    private var linesReported = 0

    /// Counts for `--stats`: this pipeline's lines and the resolver's cache and warehouse figures.
    public var stats: LookupStats {
        var s = resolver.stats
        s.lines = counts.lines
        s.errors = counts.errors
        s.byStatus = counts.byStatus
        return s
    }

    /// A line waiting for its batch (or behind one): its output up to the lookup value, and its key.
    private struct Pending {
        var prefix: [UInt8]
        var key: LookupKey?
        var result: LookupResult?
        /// The number of the batch whose answer the line waits for (see ``openBatch``).
        var batch = -1
        /// False for lines that are written whole (error records), without a lookup member.
        var hasLookup: Bool
    }

    /// Lines written out leave it; it holds at most ``maxQueued`` lines however long the input.
    private var queue = FIFO<Pending>()
    private var batch: Set<LookupKey> = []
    private var batchOrder: [LookupKey] = []
    private var batchDeadline = 0.0
    /// A batch submitted and not yet collected: the resolver's ticket, its keys, its number.
    private struct Submitted {
        let ticket: LookupResolver.Ticket
        let keys: [LookupKey]
        let number: Int
    }

    /// Batches submitted and not yet collected, oldest first.
    private var inFlight: [Submitted] = []
    /// The number of the batch being filled; each batch submitted takes the next one.
    private var openBatch = 0
    /// The keys of those batches, so that a repeat waits for its batch instead of joining another.
    private var keysOut: [LookupKey: Int] = [:]
    private var nextLook = 0.0
    private var scratch = JSONBuffer(capacity: 4096)
    private var warnedNonCanonical = false

    public init(
        resolver: LookupResolver, flag: EnrichmentFlag,
        options: LookupOptions, diagnostics: Diagnostics, metrics: Metrics, output: OutputWriter
    ) {
        self.resolver = resolver
        self.flag = flag
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.output = output
    }

    /// Processes every line of `reader`, flushing results whenever the input pauses. A permanent
    /// warehouse error (a revoked grant, a dropped table) ends the run: the lines answered before
    /// it are written, and no line after it.
    public func run(_ reader: LineReader) throws {
        do {
            try process(reader)
        } catch let e as WarehouseError where e.isPermanent {
            try? output.flush()
            throw e
        }
    }

    private func process(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in
            // Idle: let other processes' writes in and their checkpoints finish.
            self.resolver.idle()
            try? self.emitReady()
            try? self.output.flush()
        }
        while true {
            if !batchOrder.isEmpty || !inFlight.isEmpty {
                let now = Timestamps.monotonic()
                // Past its window the open batch goes when a batch slot is free, and, while other
                // batches are out and lines keep coming, only once it is full: the lines behind a
                // running batch wait for it anyway, and small batches would waste the slots.
                let due = !batchOrder.isEmpty && batchDeadline <= now && hasFreeSlot
                if due && inFlight.isEmpty { try submitBatch() }
                // Between lines, look at the warehouse about once a millisecond, not once a line.
                if now >= nextLook {
                    nextLook = now + 0.001
                    try poll(waitingUpTo: 0)
                }
                if !reader.waitForInput(milliseconds: 0) {
                    if due && !batchOrder.isEmpty {
                        try submitBatch()
                        continue
                    }
                    // The input pauses while batches are out: wait for them in short slices, so that a
                    // line arriving meanwhile is not held up, and write out what they answer.
                    var slice = 0.005
                    if !batchOrder.isEmpty && hasFreeSlot {
                        slice = min(slice, max(0, batchDeadline - Timestamps.monotonic()))
                    }
                    if inFlight.isEmpty {
                        _ = reader.waitForInput(milliseconds: Int32(slice * 1000) + 1)
                    } else {
                        try poll(waitingUpTo: slice)
                    }
                    resolver.idle()
                    try emitReady()
                    try output.flush()
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
            resolver.finish()
            reportQueue()
        }
        try resolveAll()
        try emitReady()
        try output.flush()
    }

    /// Lines queued since the last report, and the backlog now.
    private func reportQueue() {
        metrics.increment(.taskQueued, by: Double(counts.lines - linesReported))
        linesReported = counts.lines
        metrics.gauge(.taskBacklog, Double(queue.count))
    }

    private func handle(_ line: InputLine) throws {
        counts.lines += 1
        let envelope: Envelope
        do {
            if let total = line.truncatedFrom {
                throw InputError(
                    "line is \(total) bytes long, over the limit", hint: "split the payload or raise the limit")
            }
            envelope = try Envelope(line.bytes)
        } catch let e as LTError {
            counts.errors += 1
            diagnostics.error(e, at: line.location)
            scratch.removeAll()
            ErrorRecord.make(tool: diagnostics.tool, location: line.location, error: e, line: line, into: &scratch)
            try writeWhole(scratch.bytes)
            return
        }
        if envelope.isErrorRecord {
            counts.errors += 1
            diagnostics.markFailed()
            try writeWhole(Array(line.bytes))
            return
        }
        var key: LookupKey?
        var result: LookupResult?
        var waitsFor = -1
        if let name = envelope.duplicateMember() {
            let e = Envelope.duplicateError(name)
            diagnostics.error(e, at: line.location)
            result = LookupResult(status: .invalid, error: e.description)
        } else if !envelope.isCourseCompletion {
            result = LookupResult(status: .skipped, reason: "not_completion")
        } else if !flag.isEnabled(enterprise: envelope.enterpriseID, integration: envelope.integration) {
            result = LookupResult(status: .skipped, reason: "flag_off")
        } else {
            do {
                var canonical = true
                let k = try envelope.lookupKey(canonical: &canonical)
                if !canonical { warnNonCanonical(k, at: line.location) }
                key = k
                result = resolver.known(k)
                if result == nil {
                    if let out = keysOut[k] {
                        waitsFor = out
                    } else {
                        waitsFor = openBatch
                        if batch.insert(k).inserted {
                            if batchOrder.isEmpty { batchDeadline = Timestamps.monotonic() + options.batchWindow }
                            batchOrder.append(k)
                        }
                    }
                }
            } catch let e as LTError {
                diagnostics.error(e, at: line.location)
                result = LookupResult(status: .invalid, error: e.description)
            }
        }
        writePrefix(envelope)
        if let result, queue.isEmpty {
            // Nothing waits ahead of this line: write it now, from the reused buffer.
            counts.byStatus[result.status, default: 0] += 1
            result.write(to: &scratch)
            scratch.endObject()
            try output.write(scratch.bytes)
            try output.endLine()
        } else {
            // A copy of its own size: sharing the reused buffer would keep its whole capacity per line.
            let prefix = scratch.bytes.withUnsafeBufferPointer { Array($0) }
            queue.append(Pending(prefix: prefix, key: key, result: result, batch: waitsFor, hasLookup: true))
        }
        if batchOrder.count >= options.batchSize { try submitBatch() }
        // Lines held behind running batches are bounded: past the limit, wait for answers.
        while queue.count >= maxQueued {
            if !inFlight.isEmpty {
                try poll(waitingUpTo: 1)
            } else if !batchOrder.isEmpty {
                try submitBatch()
            } else {
                try emitReady()
                break
            }
        }
    }

    /// Says once per run that enterprise UUIDs arrive in upper case: they are looked up, cached and
    /// matched in lower case, but the producer should send the canonical form.
    private func warnNonCanonical(_ key: LookupKey, at location: SourceLocation) {
        guard !warnedNonCanonical else { return }
        warnedNonCanonical = true
        diagnostics.warning(
            "enterprise UUID \(key.enterpriseID) arrives with upper-case letters; it is looked up, cached "
                + "and matched in lower case (said once per run)",
            hint: "send enterprise_customer_uuid in lower case, as Open edX writes it", at: location)
    }

    /// Most lines held behind running batches: room for every batch out and one filling.
    private var maxQueued: Int { (resolver.maxInFlight + 1) * options.batchSize }

    private var hasFreeSlot: Bool { inFlight.count < resolver.maxInFlight }

    /// A line written as it is (an error record), in its place in the order.
    private func writeWhole(_ bytes: [UInt8]) throws {
        if queue.isEmpty {
            try output.write(bytes)
            try output.endLine()
        } else {
            let copy = bytes.withUnsafeBufferPointer { Array($0) }
            queue.append(Pending(prefix: copy, key: nil, result: nil, hasLookup: false))
        }
    }

    /// Puts the line's output up to where the lookup value goes in `scratch`: `{…members…,"lookup":`.
    private func writePrefix(_ envelope: Envelope) {
        scratch.removeAll()
        envelope.writeLookupPrefix(to: &scratch)
    }

    /// Writes out every line at the front of the queue whose lookup is known.
    private func emitReady() throws {
        while let p = queue.first {
            if p.hasLookup && p.result == nil { break }
            try output.write(p.prefix)
            if let r = p.result {
                counts.byStatus[r.status, default: 0] += 1
                scratch.removeAll()
                r.write(to: &scratch)
                try output.write(scratch.bytes)
                try output.write(byte: UInt8(ascii: "}"))
            }
            try output.endLine()
            _ = queue.popFirst()
        }
    }

    /// Hands the pending keys to the resolver as one batch, once a batch slot is free.
    private func submitBatch() throws {
        guard !batchOrder.isEmpty else { return }
        while !hasFreeSlot { try poll(waitingUpTo: 1) }
        let keys = batchOrder
        batchOrder.removeAll(keepingCapacity: true)
        batch.removeAll(keepingCapacity: true)
        resolver.queuedLines = queue.count
        reportQueue()
        for k in keys { keysOut[k] = openBatch }
        inFlight.append(Submitted(ticket: resolver.submit(keys), keys: keys, number: openBatch))
        openBatch += 1
        try collectAnswered()
    }

    /// Lets the resolver move the batches out along (waiting at most `seconds`) and collects
    /// those answered.
    private func poll(waitingUpTo seconds: Double) throws {
        resolver.poll(waitingUpTo: seconds)
        try collectAnswered()
    }

    /// Fills in the lines of every batch answered, in any order, and writes what is ready.
    private func collectAnswered() throws {
        var i = 0
        var collected = false
        while i < inFlight.count {
            if resolver.isAnswered(inFlight[i].ticket) {
                try collect(at: i)
                collected = true
            } else {
                i += 1
            }
        }
        if collected { try emitReady() }
    }

    /// Fills in the lines of the batch at `index` of ``inFlight``, waiting for its answer.
    private func collect(at index: Int) throws {
        let answered = inFlight.remove(at: index)
        for k in answered.keys { keysOut.removeValue(forKey: k) }
        // A permanent warehouse error ends the run (see run(_:)).
        let results = try resolver.collect(answered.ticket)
        // Only the lines waiting for this batch: comparing numbers, not hashing every waiting key.
        queue.updateEach { p in
            if p.batch == answered.number, p.result == nil, let k = p.key, let r = results[k] { p.result = r }
        }
    }

    /// Submits what is pending and collects every batch out.
    private func resolveAll() throws {
        try submitBatch()
        while !inFlight.isEmpty {
            try collect(at: 0)
            try emitReady()
        }
    }
}
