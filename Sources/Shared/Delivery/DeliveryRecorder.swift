/// Where lt-send's lines get their fate written: results (to standard output, batched per turn of
/// the event loop), the dead-letter file, and the journal's sync. It also keeps the halt and
/// recording state: whether a write failed or standard output closed, and how many lines' fates
/// could not be written, so ``Sender/finish()`` can say so and exit with the right status.
///
/// Results never make the event loop wait for their reader: they queue in memory and go out in
/// pieces a write can take without waiting (``pump()``), while the transfers in flight keep being
/// serviced. Past ``SendOptions/maxQueuedResultBytes`` queued, the sender stops reading input
/// instead. (Blocking on a slow reader used to stall libcurl, so answers that had arrived timed
/// out and were sent again.)
final class DeliveryRecorder {
    private let options: SendOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let time: TimeSource
    private let output: OutputWriter
    private let deadLetter: AppendFile?
    private let attemptLog: AttemptLog?
    let journal: DeliveryJournal?
    /// Results of this turn, queued by ``commit()``.
    private var batch = JSONBuffer(capacity: 1 << 16)
    /// Results waiting for standard output to take them: the bytes of `queue` from `queueStart`.
    private var queue: [UInt8] = []
    private var queueStart = 0
    /// With a journal, the results of deliveries of this turn: written once the journal's sync
    /// says whether their entries reached the disk.
    private var awaitingJournal: [(DeliveryResult, endpoint: String)] = []
    /// Why reading stopped early: a line could not be recorded, or standard output closed.
    private(set) var halt: Halt?
    /// A halt noticed while writing, which the event loop begins at the end of its turn.
    private(set) var haltRequested: Halt?
    /// Lines whose fate could not be written (results, dead-letter entries, journal entries).
    private var unrecorded = 0
    /// Results not written because standard output closed.
    private var resultsLost = 0
    /// Deliveries made while their journal entries could not be written: a re-run sends them again.
    private var unjournaled = 0
    private var firstRecordingError: String?
    private var outputBroken = false
    /// Standard output closed during a dry run, which ends quietly.
    private(set) var dryRunOutputClosed = false
    private(set) var stats = DeliveryStats()

    init(
        options: SendOptions, diagnostics: Diagnostics, metrics: Metrics, output: OutputWriter, time: TimeSource
    ) throws {
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.time = time
        self.output = output
        deadLetter = try options.deadLetterPath.map {
            try AppendFile(path: $0, what: "the dead-letter file", lock: true)
        }
        journal = try options.journalPath.map { try DeliveryJournal(path: $0) }
        attemptLog = try options.attemptsPath.map { try AttemptLog(path: $0) }
        if let journal, let repaired = journal.repaired {
            diagnostics.warning("the journal \(journal.path): \(repaired)")
        }
    }

    /// `--attempts`: records how an attempt of `p` ended.
    func logAttempt(
        _ p: PendingDelivery, _ r: HTTPResponse, startedAt: Double, seconds: Double, error: String?,
        response: MaskedText?
    ) {
        guard let attemptLog else { return }
        let record = AttemptLog.Record(
            location: p.location, id: p.id, integration: p.integration,
            url: p.endpoint.displayURL,
            attempt: p.attempts, startedAt: startedAt, seconds: seconds,
            httpStatus: r.status == 0 ? nil : r.status, error: error.map(diagnostics.secrets.mask(own:)),
            response: response, enrichment: p.enrichment)
        do { try attemptLog.append(record) } catch {
            // As for the dead-letter file: an audit trail with holes is not kept quietly (exit 74).
            diagnostics.error("cannot write the attempts file \(attemptLog.file.path): \(error)", at: p.location)
            recordingFailed("\(error)", lines: 0)
        }
    }

    /// Counts an attempt in the run's statistics.
    func attempt(endpoint: String, httpStatus: Int, seconds: Double) {
        stats.attempt(endpoint: endpoint, httpStatus: httpStatus, seconds: seconds)
    }

    /// Notes the bytes of lines under way, for the peak in `--stats`.
    func pendingBytes(_ bytes: Int) {
        stats.pendingBytes(bytes)
    }

    /// Adds a result to this turn's batch.
    private func emit(_ r: DeliveryResult, endpoint: String?) {
        stats.line(r.status, endpoint: endpoint)
        r.write(to: &batch)
        batch.raw([0x0A])
    }

    // MARK: - Fates

    /// A line that is not sent at all: answered `rejected` and dead-lettered.
    func reject(_ line: InputLine, _ rejection: LineRejection) {
        let hint = rejection.hint
        diagnostics.error("rejected: \(rejection.message)\(hint.isEmpty ? "" : "; \(hint)")", at: line.location)
        var r = DeliveryResult(line: line.location, status: .rejected)
        r.id = rejection.id
        r.integration = rejection.integration
        r.error = rejection.message
        r.finishedAt = time.wallClock
        writeDeadLetter(Array(line.bytes), at: line.location)
        emit(r, endpoint: nil)
    }

    /// A line not sent because its id was (or is being) delivered.
    func skip(
        _ line: InputLine, id: String, integration: String?, url: String, reason: String,
        enrichment: EnrichmentDecision?
    ) {
        diagnostics.info("skipped: \(reason)", at: line.location)
        var r = DeliveryResult(line: line.location, status: .skipped)
        r.id = id
        r.integration = integration
        r.url = url
        r.error = reason
        r.learningTime = enrichment?.learningTime
        r.enrichment = enrichment
        r.finishedAt = time.wallClock
        emit(r, endpoint: integration)
    }

    /// A line read but not sent after reading stopped: failed and dead-lettered.
    func notSent(_ line: InputLine, _ reason: String) {
        var r = DeliveryResult(line: line.location, status: .failed)
        r.error = reason
        r.finishedAt = time.wallClock
        writeDeadLetter(Array(line.bytes), at: line.location)
        emit(r, endpoint: nil)
    }

    /// A line under way became final: its result, metrics and log line, and its dead-letter entry
    /// when it was not delivered. `backlog` is the number of lines still under way.
    func final(_ p: PendingDelivery, _ status: DeliveryStatus, _ error: String?, now: Double, backlog: Int) {
        var r = DeliveryResult(line: p.location, status: status)
        r.id = p.id
        r.integration = p.integration
        r.url = p.endpoint.displayURL
        r.httpStatus = p.httpStatus
        r.attempts = p.attempts
        r.durationSeconds = p.attempts > 0 ? now - p.started : 0
        // Causes may quote outside text, masked where it entered; masked again here, as stderr is.
        r.error = error.map(diagnostics.secrets.mask(own:))
        r.response = status == .delivered ? nil : p.response
        r.learningTime = p.learningTime
        r.enrichment = p.enrichment
        r.revision = p.revision
        r.finishedAt = time.wallClock
        let tags = [("integration", p.endpoint.name), ("status", status.rawValue)]
        metrics.observe(.deliveryLatency, r.durationSeconds, tags: tags)
        metrics.observe(.deliveryAttempts, Double(p.attempts), tags: tags)
        metrics.observe(.taskDuration, now - p.received, tags: tags)
        metrics.gauge(.taskBacklog, Double(backlog))
        if status == .delivered {
            // Only completions count toward the with/without split the specification alerts on.
            let name: Metric =
                !p.isCompletion
                ? .successEnrollment
                : p.learningTime == true ? .successWithLearningTime : .successWithoutLearningTime
            metrics.increment(name, tags: [("integration", p.endpoint.name)])
            diagnostics.info(
                "delivered to \(p.endpoint.name) (\(p.httpStatus ?? 0), attempt \(p.attempts))", at: p.location)
        } else {
            diagnostics.error(
                "not delivered to \(p.endpoint.name)", at: p.location,
                context: ["error": .string(error ?? ""), "retry_count": .int(Int64(max(0, p.attempts - 1)))])
            writeDeadLetter(p.line, at: p.location)
        }
        if status == .delivered && journal != nil {
            awaitingJournal.append((r, p.endpoint.name))
        } else {
            emit(r, endpoint: p.endpoint.name)
        }
    }

    /// `--dry-run`: writes the request `p` would make, secrets masked, instead of sending it.
    func describe(_ p: PendingDelivery, userAgent: String) {
        let ep = p.endpoint
        let identity = AttemptIdentity(id: p.idHeader, timestamp: Int(time.wallClock), body: p.body)
        batch.beginObject()
        batch.key("line"); batch.int(p.location.line)
        batch.key("source"); batch.string(p.location.source)
        batch.key("id"); batch.string(p.id)
        batch.key("dry_run"); batch.bool(true)
        if let revision = p.revision {
            // `--resend-changed`: what would be corrected, and from what to what.
            batch.key("revision"); batch.int(revision.number)
            batch.key("revision_of"); batch.string(revision.original)
            batch.key("previous_total_seconds")
            if let t = revision.previousTotal { batch.int(t) } else { batch.null() }
            batch.key("total_seconds")
            if let t = p.enrichment?.totalSeconds { batch.int(t) } else { batch.null() }
        }
        batch.key("method"); batch.string("POST")
        batch.key("url"); batch.string(ep.displayURL)
        batch.key("headers"); batch.beginObject()
        for h in ep.maskedHeaders(identity, userAgent: userAgent) + (p.revision?.headers ?? []) {
            batch.key(h.name.text)
            batch.string(h.value.text)
        }
        batch.endObject()
        batch.key("body"); batch.raw(p.body)
        batch.endObject()
        batch.raw([0x0A])
    }

    func writeDeadLetter(_ line: [UInt8], at location: SourceLocation) {
        guard let deadLetter else { return }
        do { try deadLetter.appendLine(line) } catch {
            diagnostics.error("cannot write the dead-letter file: \(error)", at: location)
            recordingFailed("\(error)", lines: 1)
        }
    }

    /// Writes the results of this turn; the journal is synced first, so a reported delivery is recorded.
    /// A write that fails requests a halt (reading stops) instead of ending the run, so the lines
    /// under way still get their fate.
    func commit() {
        var journaled = true
        if let journal, journal.hasUnsynced {
            do { try journal.sync() } catch {
                // Those deliveries were made; their results still say so, flagged, and the run ends with 74.
                unjournaled += journal.unsyncedCount
                journal.discardUnsynced()
                journaled = false
                recordingFailed("\(error)", lines: 0)
            }
        }
        for (var r, endpoint) in awaitingJournal {
            r.journaled = journaled
            emit(r, endpoint: endpoint)
        }
        awaitingJournal.removeAll(keepingCapacity: true)
        if !batch.bytes.isEmpty {
            if outputGone {
                let lines = Self.lines(batch.bytes[...])
                if halt == .outputClosed { resultsLost += lines } else { unrecorded += lines }
            } else {
                queue.append(contentsOf: batch.bytes)
            }
            batch.removeAll()
        }
        pump()
    }

    /// Bytes of results waiting for standard output.
    var queuedBytes: Int { queue.count - queueStart }

    /// True while results wait and standard output can still take them: the event loop then also
    /// wakes when it becomes writable.
    var waitsForOutput: Bool { queuedBytes > 0 && !outputGone }

    /// The descriptor results are written to.
    var outputDescriptor: Int32 { output.fileDescriptor }

    private var outputGone: Bool { halt == .outputClosed || haltRequested == .outputClosed || outputBroken }

    /// Writes queued results for as long as standard output takes them without waiting; a piece
    /// ends on a line's end where one fits.
    func pump() {
        while queuedBytes > 0 && !outputGone && output.canWriteWithoutWaiting() {
            var end =
                queue.count - queueStart > output.chunkWithoutWaiting
                ? queueStart + output.chunkWithoutWaiting : queue.count
            if end < queue.count, let nl = queue[queueStart..<end].lastIndex(of: 0x0A) { end = nl + 1 }
            do {
                try queue.withUnsafeBufferPointer {
                    try output.write(UnsafeBufferPointer(rebasing: $0[queueStart..<end]))
                }
                try output.flush()
                queueStart = end
            } catch is OutputClosed {
                // A dry run sent nothing, so it ends quietly like lt-query and lt-enrich.
                if options.dryRun { dryRunOutputClosed = true }
                resultsLost += Self.lines(queue[queueStart...])
                if haltRequested == nil { haltRequested = .outputClosed }
                dropQueue()
            } catch let e as IOError {
                outputBroken = true
                // The piece's lines not written are in `e.lines`, a line cut in two among them.
                let cut = queue[end - 1] != 0x0A ? 1 : 0
                recordingFailed(e.description, lines: e.lines + Self.lines(queue[end...]) - cut)
                dropQueue()
            } catch {
                outputBroken = true
                recordingFailed("\(error)", lines: Self.lines(queue[queueStart...]))
                dropQueue()
            }
        }
        if queueStart == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 1 << 20)
            queueStart = 0
        } else if queueStart >= 1 << 16 && queueStart * 2 >= queue.count {
            queue.removeFirst(queueStart)
            queueStart = 0
        }
    }

    private func dropQueue() {
        queue.removeAll()
        queueStart = 0
    }

    private static func lines(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }

    /// A line's fate (or a journal entry) could not be written: reading stops at the end of the turn.
    func recordingFailed(_ cause: String, lines: Int) {
        unrecorded += lines
        if firstRecordingError == nil {
            firstRecordingError = cause
            diagnostics.error("\(cause); no more input is read")
        }
        if haltRequested == nil || haltRequested == .outputClosed { haltRequested = .recording }
    }

    /// Begins the requested halt; the event loop then stops reading.
    func beginHalt(_ h: Halt) { halt = h }

    /// At the end of the run: the error owed for lines that could not be recorded or results that
    /// could not be written, if any.
    func failure() -> (any Error)? {
        if let j = journal, j.hasUnsynced { unjournaled += j.unsyncedCount }
        guard let halt else { return nil }
        let journalNote =
            unjournaled > 0
            ? "; \(unjournaled) deliveries could not be journaled, so a re-run with this journal sends them again" : ""
        switch halt {
        case .recording:
            return IOError.unrecorded(
                lines: unrecorded, cause: firstRecordingError ?? "a write failed", note: journalNote)
        case .outputClosed:
            return ResultsLost(results: resultsLost, deadLetter: options.deadLetterPath, note: journalNote)
        }
    }
}
