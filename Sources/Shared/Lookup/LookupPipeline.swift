/// lt-query's core: reads envelopes, gathers their keys into batches for the ``LookupResolver``
/// (memory, file cache, warehouse), and writes each line with its `lookup` record, in input order.
///
/// A line whose answer is known at once and has nothing queued ahead of it is written straight
/// from the reused buffer; only lines that wait for a batch keep a copy of their output prefix.
///
/// Batching: keys wait in one pool, and leave it as statements of at most `--batch-size` keys
/// when `--batch-window` has passed since the oldest arrived and the input pauses (so keys that
/// trickle in keep a short wait, one statement at a time), as full statements while more input
/// is readable, when the pool would fill every free statement slot, or when the input ends.
/// Keys beyond one statement's worth are spread evenly over the free slots
/// (see ``statementSizes(keys:maxPerStatement:freeSlots:inputFlowing:)``): 9,000 keys at the end
/// of the input make 8 statements of 1,125, one round trip, instead of 18 of 500 in three.
///
/// The start-up probe runs alongside the first batches; no line is written until its verdict, so
/// that a warehouse that cannot work as configured still stops lt-query before any output.
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
        s.outputWaitSeconds = output.blockedSeconds
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

    /// Lines written out leave it; it holds at most ``maxQueued`` lines and about
    /// ``maxQueuedBytes`` of them, however long the input.
    private var queue = FIFO<Pending>()
    /// The bytes of the lines in ``queue`` (their prefixes).
    private var queuedBytes = 0
    /// The keys waiting to be sent (the pool), in their order of arrival, and as a set.
    private var batch: Set<LookupKey> = []
    private var batchOrder: [LookupKey] = []
    /// When the pool's oldest key has waited `--batch-window`.
    private var batchDeadline = 0.0
    /// When the pool's oldest key has waited ``flowingHold``: then it goes even while input flows.
    private var holdDeadline = 0.0
    /// A batch submitted and not yet collected: the resolver's ticket, its keys, its number.
    private struct Submitted {
        let ticket: LookupResolver.Ticket
        let keys: [LookupKey]
        let number: Int
    }

    /// Batches submitted and not yet collected, oldest first.
    private var inFlight: [Submitted] = []
    /// The number the pool's keys wait under; it moves on once the pool is emptied. Statements
    /// sent from one pool share its number: a line takes its answer from the statement that holds its key.
    private var openBatch = 0
    /// Whether the probe was started: once per pipeline, whatever the number of inputs.
    private var probeStarted = false
    /// True while the probe's verdict is awaited: lines are held back, none is written.
    private var holding: Bool { resolver.probeRunning }
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

    /// Starts the warehouse's start-up probe (once, however many inputs follow); until its verdict,
    /// no line is written. A configuration error then ends ``run(_:)`` before any output.
    public func startProbe() {
        guard !probeStarted else { return }
        probeStarted = true
        resolver.startProbe()
    }

    private func process(_ reader: LineReader) throws {
        // Answers are collected while the output is blocked, so a statement's round trip is
        // timed when its answer arrives, not when a slow reader next takes lines.
        output.whileBlocked = { [unowned self] in
            self.resolver.poll(waitingUpTo: 0.002)
            self.diagnostics.hooks.periodic?.tick()
        }
        reader.onWouldBlock = { [unowned self] in
            // Idle: let other processes' writes in and their checkpoints finish.
            self.resolver.idle()
            try? self.emitReady()
            try? self.output.flush()
        }
        while true {
            if !batchOrder.isEmpty || !inFlight.isEmpty || holding {
                let now = Timestamps.monotonic()
                let flowing = reader.waitForInput(milliseconds: 0)
                // Past its window the pool goes out, as soon as a statement slot is free.
                if !batchOrder.isEmpty && batchDeadline <= now && hasFreeSlot {
                    try sendWaiting(inputFlowing: flowing)
                }
                // Between lines, look at the warehouse about once a millisecond, not once a line.
                if now >= nextLook {
                    nextLook = now + 0.001
                    try poll(waitingUpTo: 0)
                }
                if !flowing {
                    // The input pauses while batches are out: wait for them in short slices, so that a
                    // line arriving meanwhile is not held up, and write out what they answer.
                    var slice = 0.005
                    if !batchOrder.isEmpty && hasFreeSlot {
                        slice = min(slice, max(0, batchDeadline - Timestamps.monotonic()))
                    }
                    if inFlight.isEmpty && !holding {
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
                            if batchOrder.isEmpty {
                                let now = Timestamps.monotonic()
                                batchDeadline = now + options.batchWindow
                                holdDeadline = now + Self.flowingHold
                            }
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
        if let result, queue.isEmpty, !holding {
            // Nothing waits ahead of this line: write it now, from the reused buffer.
            counts.byStatus[result.status, default: 0] += 1
            result.write(to: &scratch)
            scratch.endObject()
            try output.write(scratch.bytes)
            try output.endLine()
        } else {
            // A copy of its own size: sharing the reused buffer would keep its whole capacity per line.
            let prefix = scratch.bytes.withUnsafeBufferPointer { Array($0) }
            queuedBytes += prefix.count
            queue.append(Pending(prefix: prefix, key: key, result: result, batch: waitsFor, hasLookup: true))
        }
        // Once the pool would fill every free slot, waiting longer cannot make the statements better.
        if hasFreeSlot && batchOrder.count >= freeSlots * options.batchSize { try sendWaiting(inputFlowing: false) }
        // Lines held behind running batches are bounded: past the limit, wait for answers.
        while queue.count >= maxQueued || queuedBytes >= Self.maxQueuedBytes {
            if !batchOrder.isEmpty && hasFreeSlot {
                // No further line is read until lines go out: the pool is all there is to send.
                try sendWaiting(inputFlowing: false)
            } else if !inFlight.isEmpty || holding {
                try poll(waitingUpTo: 1)
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

    /// Most lines held behind running batches: room for every batch out and as many again
    /// waiting, so that the next wave's lines are read and parsed while the one before runs, and
    /// its statements go out full the moment slots free. (With room for only one batch filling,
    /// each wave after the first waited for its lines to be read, went out over 0.4 s in part-full
    /// statements, and 40,000 keys took 5.3–6.3 s at 1.5 s per statement instead of about 4.7.)
    /// A single statement slot (SQLite) keeps room for two batches.
    private var maxQueued: Int { max(2, 2 * resolver.maxInFlight) * options.batchSize }

    /// Most bytes of lines held (beyond one line, which may be up to the line limit): read-ahead
    /// stays within lt-query's 64 MB memory budget whatever the lines' size.
    static let maxQueuedBytes = 16 << 20

    /// Statement slots free: `--max-statements` less the batches out and the probe, which runs as
    /// a statement too.
    private var freeSlots: Int { max(0, resolver.maxInFlight - inFlight.count - (holding ? 1 : 0)) }
    private var hasFreeSlot: Bool { freeSlots > 0 }

    /// A line written as it is (an error record), in its place in the order.
    private func writeWhole(_ bytes: [UInt8]) throws {
        if queue.isEmpty && !holding {
            try output.write(bytes)
            try output.endLine()
        } else {
            let copy = bytes.withUnsafeBufferPointer { Array($0) }
            queuedBytes += copy.count
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
        if let e = resolver.probeFailure { throw e }
        if holding { return }
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
            queuedBytes -= p.prefix.count
            _ = queue.popFirst()
        }
    }

    /// Longest the pool's oldest key waits for a full statement while more input is readable
    /// (see ``statementSizes(keys:maxPerStatement:freeSlots:inputFlowing:)``). Input is readable
    /// after each line only when lines arrive faster than lt-query reads them, so a statement
    /// fills in tens of milliseconds; the bound is for a fast stream whose lines are mostly
    /// answered from memory or the cache.
    static let flowingHold = 0.5

    /// Sends the pool's keys as statements over the free slots (see ``statementSizes(keys:maxPerStatement:freeSlots:inputFlowing:)``);
    /// `inputFlowing` says more input is readable now. Keys left over stay in the pool, due at once.
    private func sendWaiting(inputFlowing: Bool) throws {
        let n = batchOrder.count
        let free = freeSlots
        guard n > 0, free > 0 else { return }
        let flowing = inputFlowing && Timestamps.monotonic() < holdDeadline
        let sizes = Self.statementSizes(
            keys: n, maxPerStatement: options.batchSize, freeSlots: free, inputFlowing: flowing)
        guard !sizes.isEmpty else { return }
        resolver.queuedLines = queue.count
        reportQueue()
        var start = 0
        for size in sizes {
            let keys = Array(batchOrder[start..<start + size])
            start += size
            for k in keys {
                keysOut[k] = openBatch
                batch.remove(k)
            }
            inFlight.append(Submitted(ticket: resolver.submit(keys), keys: keys, number: openBatch))
        }
        batchOrder.removeFirst(start)
        if batchOrder.isEmpty {
            openBatch += 1
        } else {
            // Their lines wait under this number still; they go as soon as a slot frees.
            batchDeadline = 0
        }
        try collectAnswered()
    }

    /// The statements that `keys` waiting keys go out as now, at most `m` keys each.
    ///
    /// While more input is readable, only full statements go, one per free slot at most: the
    /// keys behind fill the rest. (Sending part-full statements there, when `--batch-window`
    /// passed while a burst was still being read, took slots that a full statement needed:
    /// 9,000 keys then sometimes took two round trips instead of one, and each wave of 40,000
    /// held fewer keys.) When the input pauses or ends, or no line can be read until lines go
    /// out, up to `m` keys go as one statement, and more are spread evenly over every free slot,
    /// so that one round trip answers them all.
    static func statementSizes(keys n: Int, maxPerStatement m: Int, freeSlots free: Int, inputFlowing: Bool) -> [Int] {
        if inputFlowing { return Array(repeating: m, count: min(free, n / m)) }
        let statements = n <= m ? 1 : free
        return evenSizes(min(n, statements * m), over: statements)
    }

    /// `total` split into `parts` sizes that differ by at most one, larger first.
    static func evenSizes(_ total: Int, over parts: Int) -> [Int] {
        let parts = max(1, min(parts, total))
        return (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
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
        if collected || resolver.probeFailure != nil || !holding { try emitReady() }
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

    /// Sends what is pending, spread over the free slots, waits for the probe's verdict and
    /// collects every batch out.
    private func resolveAll() throws {
        while !batchOrder.isEmpty || !inFlight.isEmpty || holding {
            if !batchOrder.isEmpty && hasFreeSlot {
                try sendWaiting(inputFlowing: false)
            } else if holding {
                try poll(waitingUpTo: 1)
            } else {
                try collect(at: 0)
            }
            try emitReady()
        }
    }
}
