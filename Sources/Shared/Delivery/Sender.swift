#if canImport(Glibc)
import Glibc
#endif

/// lt-send's core: an event loop on one thread around a ``Transport`` (a libcurl multi handle).
///
/// Each line is routed to its endpoint and its payload POSTed byte for byte, with many transfers
/// in flight (`concurrency`, and `perHost` per `scheme://host:port`). When each line may go is the
/// ``DeliveryScheduler``'s decision (breakers, pacing, host caps); a line that must wait does so
/// while the others move. OAuth2 token requests are transfers on the same transport, so a slow
/// token endpoint holds up only its own integration. Results are written as soon as a line is
/// final, so they may come out of input order: each carries its `line` (and `source`) and `id`.
///
/// Input is read only while fewer than `window` lines are waiting or in flight, and while no
/// endpoint holds `maxHeld` lines behind an open breaker, so memory stays bounded whatever the
/// input's size and however long a partner is down: unread input waits in the pipe or file.
///
/// Delivered ids reach the journal (synced) before their results are written; lines that are not
/// delivered go to the dead-letter file as they arrived. When a line cannot be recorded (a full
/// disk) or standard output closes, reading stops, lines not yet sent are dead-lettered, transfers
/// in flight finish, and ``finish()`` throws: every line read keeps one fate.
public final class Sender {
    private let options: SendOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let output: OutputWriter
    private let deadLetter: AppendFile?
    private let journal: DeliveryJournal?
    private let attemptLog: AttemptLog?
    private let transport: Transport
    private let time: TimeSource
    private let signals: StopSignals
    private let scheduler: DeliveryScheduler
    private var endpoints: [String: EndpointState] = [:]
    private var urlEndpoint: EndpointState?
    /// What each transfer in flight is for, by tag.
    private var inFlight: [Int: Work] = [:]
    private var nextTag = 0
    /// Lines read and not final yet.
    private var pending = 0
    /// With a journal, the ids of lines of this run not final yet, so a repeated id is sent once.
    private var inRun: [String: SourceLocation] = [:]
    private var batch = JSONBuffer(capacity: 1 << 16)
    private var stopDeadline: Double?
    /// Why reading stopped early: a line could not be recorded, or standard output closed.
    private var halt: Halt?
    private var haltRequested: Halt?
    /// Lines whose fate could not be written (results, dead-letter entries, journal entries).
    private var unrecorded = 0
    /// Results not written because standard output closed.
    private var resultsLost = 0
    /// Deliveries made while their journal entries could not be written: a re-run sends them again.
    private var unjournaled = 0
    private var firstRecordingError: String?
    private var outputBroken = false
    private var dryRunOutputClosed = false
    public private(set) var stats = DeliveryStats()

    /// A transfer in flight: one attempt of a line, or an endpoint's OAuth2 token request.
    private enum Work {
        case delivery(PendingDelivery, startedAt: Double, started: Double)
        case token(EndpointState)
    }

    /// `transport` and `time` default to libcurl and the system clocks; tests pass fakes.
    public init(
        options: SendOptions, environment: [String: String], diagnostics: Diagnostics, metrics: Metrics,
        output: OutputWriter, transport: Transport? = nil, time: TimeSource = SystemTime()
    ) throws {
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.output = output
        self.time = time
        signals = StopSignals()
        deadLetter = try options.deadLetterPath.map { try AppendFile(path: $0, lock: "the dead-letter file") }
        journal = try options.journalPath.map { try DeliveryJournal(path: $0) }
        if let journal, let repaired = journal.repaired {
            diagnostics.warning("the journal \(journal.path): \(repaired)")
        }
        attemptLog = try options.attemptsPath.map { try AttemptLog(path: $0) }
        self.transport =
            try transport
            ?? CurlTransport(settings: options.transport, maxConnections: options.concurrency * 2)
        scheduler = DeliveryScheduler(
            globalRate: options.rate, perHost: options.perHost,
            maxHeld: min(options.maxHeld ?? options.window, options.window))
        if let url = options.url {
            let parsed = try HTTPURL(url, what: "--url", allowHTTP: options.allowHTTP)
            var e = Endpoint(name: "--url", url: url)
            e.timeout = options.timeout
            e.headers = options.urlHeaders
            if let variable = options.urlBearerEnvironment { e.auth = .bearer(.environment(variable)) }
            e.certificateFile = options.clientCertificate?.certificatePath
            e.keyFile = options.clientCertificate?.keyPath
            e.keyPassword = options.keyPassword
            let state = try EndpointState(e, options: options, environment: environment)
            state.journalScope = try journal?.scope(DeliveryJournal.scopeName(url: parsed)) ?? 0
            urlEndpoint = state
        }
        for e in options.integrations.map({ Array($0.endpoints.values) }) ?? [] {
            _ = try HTTPURL(e.url, what: "integration \(e.name)'s url", allowHTTP: options.allowHTTP)
            if case .oauth2(let tokenURL, _, _, _) = e.auth {
                _ = try HTTPURL(tokenURL, what: "integration \(e.name)'s token_url", allowHTTP: options.allowHTTP)
            }
            let state = try EndpointState(e, options: options, environment: environment)
            state.journalScope = try journal?.scope(e.name) ?? 0
            endpoints[e.name] = state
        }
        for e in Array(endpoints.values) + [urlEndpoint].compactMap({ $0 }) {
            e.secrets.forEach(diagnostics.redact)
            scheduler.add(e, breakerFailures: options.breakerFailures, cooldown: options.breakerCooldown)
        }
    }

    /// The exit status owed to a stop signal (130 for SIGINT, 143 for SIGTERM), once one arrived.
    public var signalExitStatus: Int32? { signals.exitStatus }

    /// Reads `reader` to its end (or to a stop signal) while deliveries go on; lines still under
    /// way when it ends are finished by the next ``run(_:)`` or by ``finish()``.
    public func run(_ reader: LineReader) throws {
        guard stopDeadline == nil, halt == nil else { return }
        try loop(reader)
    }

    /// Waits for every line under way to become final, and writes the last results. Throws when
    /// lines could not be recorded (``RecordingFailure``, exit 74) or standard output closed (exit 1).
    public func finish() throws {
        try loop(nil)
        if let j = journal, j.hasUnsynced { unjournaled += j.unsyncedCount }
        guard let halt else { return }
        let journalNote =
            unjournaled > 0
            ? "; \(unjournaled) deliveries could not be journaled, so a re-run with this journal sends them again" : ""
        switch halt {
        case .recording:
            throw RecordingFailure(lines: unrecorded, cause: firstRecordingError ?? "a write failed", note: journalNote)
        case .outputClosed:
            throw ResultsLost(results: resultsLost, deadLetter: options.deadLetterPath, note: journalNote)
        }
    }

    // MARK: - Event loop

    /// True while input may be read: room in the window, and no endpoint holding its share.
    private var wantsInput: Bool { pending < options.window && !scheduler.isBackedUp }

    private func loop(_ reader: LineReader?) throws {
        var inputEnded = reader == nil
        while true {
            var now = time.monotonic
            if stopDeadline == nil, signals.check() { beginStop(now) }
            if let reader, !inputEnded, stopDeadline == nil, halt == nil {
                // A bounded number per turn, so transfers keep moving while a fast input streams in.
                var taken = 0
                while wantsInput && taken < 256, reader.waitForInput(milliseconds: 0) {
                    guard let line = try reader.next() else { inputEnded = true; break }
                    accept(line, now)
                    taken += 1
                }
            }
            for p in scheduler.expired(now: now, budget: options.maxElapsed) { giveUpHeld(p, now) }
            dispatch(now)
            let finished = transport.perform()
            now = time.monotonic
            for (tag, r) in finished { complete(tag, r, now) }
            if let deadline = stopDeadline, now >= deadline { abortInFlight(now) }
            // Commit before starting more, so at most `concurrency` lines are ever sent but unrecorded.
            commit()
            dispatch(now)
            commit()
            if dryRunOutputClosed { throw OutputClosed() }
            if let h = haltRequested, halt == nil { try beginHalt(h, reader, now) }
            if reader != nil && inputEnded { return }
            if pending == 0 && (reader == nil || stopDeadline != nil || halt != nil) { return }

            var timeout = 100.0  // ms; also how soon a stop signal is noticed
            if let due = scheduler.nextDue(budget: options.maxElapsed) { timeout = min(timeout, (due - now) * 1000) }
            if scheduler.hasReady && transport.inFlight < options.concurrency { timeout = 0 }
            if let deadline = stopDeadline { timeout = min(timeout, (deadline - now) * 1000) }
            var fds: [Int32] = []
            if let reader, !inputEnded, stopDeadline == nil, halt == nil, wantsInput {
                if reader.hasBufferedLine { timeout = 0 } else { fds.append(reader.fileDescriptor) }
            }
            if timeout > 0 || transport.inFlight > 0 {
                transport.wait(fds: fds, milliseconds: Int(max(0, timeout).rounded(.up)))
            }
        }
    }

    /// Writes the results of this turn; the journal is synced first, so a reported delivery is recorded.
    /// A write that fails stops reading (``beginHalt(_:_:_:)``) instead of ending the run, so the lines
    /// under way still get their fate.
    private func commit() {
        if let journal, journal.hasUnsynced {
            do { try journal.sync() } catch {
                // Those deliveries were made; their results still say so, and the run ends with 74.
                unjournaled += journal.unsyncedCount
                journal.discardUnsynced()
                recordingFailed("\(error)", lines: 0)
            }
        }
        guard !batch.bytes.isEmpty else { return }
        defer { batch.removeAll() }
        if halt == .outputClosed || outputBroken {
            let lines = batch.bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            if halt == .outputClosed { resultsLost += lines } else { unrecorded += lines }
            return
        }
        do {
            try output.write(batch.bytes)
            try output.flush()
        } catch is OutputClosed {
            // A dry run sent nothing, so it ends quietly like lt-query and lt-enrich.
            if options.dryRun { dryRunOutputClosed = true }
            resultsLost += batch.bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            if haltRequested == nil { haltRequested = .outputClosed }
        } catch let e as IOWriteError {
            outputBroken = true
            recordingFailed(e.description, lines: e.lines)
        } catch {
            outputBroken = true
            recordingFailed("\(error)", lines: 1)
        }
    }

    private func recordingFailed(_ cause: String, lines: Int) {
        unrecorded += lines
        if firstRecordingError == nil {
            firstRecordingError = cause
            diagnostics.error("\(cause); no more input is read")
        }
        if haltRequested == nil || haltRequested == .outputClosed { haltRequested = .recording }
    }

    // MARK: - Lines in

    private func accept(_ line: InputLine, _ now: Double) {
        let envelope: Envelope
        do {
            if let total = line.truncatedFrom { throw InputError("line is \(total) bytes long, over the limit") }
            envelope = try Envelope(line.bytes)
        } catch let e as LTError {
            return reject(line, e.description)
        } catch {
            return reject(line, "\(error)")
        }
        if envelope.isErrorRecord {
            return reject(line, ErrorRecord.message(of: envelope), id: envelope.id, integration: envelope.integration)
        }
        if let name = envelope.duplicateEnvelopeMember() {
            return reject(line, Envelope.duplicateError(name).description)
        }
        guard let payload = envelope.payload else {
            return reject(line, "the envelope has no payload", id: envelope.id, integration: envelope.integration)
        }
        let id = WebhookID.make(for: envelope)
        if let problem = WebhookID.problem(id) {
            // Never sent nor journaled: the id would become a header and a journal entry.
            return reject(
                line, "the envelope's id \(problem)",
                hint: "an id is 1 to \(WebhookID.maxLength) visible ASCII characters (see docs/contract.md)",
                integration: envelope.integration)
        }
        let endpoint: EndpointState
        if let e = urlEndpoint {
            endpoint = e
        } else {
            let name = envelope.integration ?? options.integrations?.defaultIntegration
            guard let name, let e = endpoints[name] else {
                let known = endpoints.keys.sorted().joined(separator: ", ")
                return reject(
                    line,
                    envelope.integration.map { "unknown integration \"\($0)\" (known: \(known))" }
                        ?? "the line names no integration and the integrations file sets no default",
                    id: id, integration: envelope.integration)
            }
            endpoint = e
        }
        let integration = urlEndpoint == nil ? endpoint.name : envelope.integration
        if let journal {
            let scoped = "\(endpoint.journalScope):\(id)"
            let known: Bool
            do { known = try journal.contains(id, scope: endpoint.journalScope) } catch {
                recordingFailed("\(error)", lines: 0)
                return reject(line, "not sent: \(error)", id: id, integration: integration)
            }
            if known {
                return skip(
                    line, id: id, integration: integration, url: endpoint.displayURL,
                    reason: "delivered in an earlier run (journal \(journal.path))")
            }
            if let first = inRun[scoped] {
                return skip(
                    line, id: id, integration: integration, url: endpoint.displayURL,
                    reason: "same id as \(first), which is under way")
            }
        }
        let p = PendingDelivery(
            location: line.location, line: Array(line.bytes), body: Array(envelope.json.bytes(payload)),
            id: id, endpoint: endpoint, integration: integration, learningTime: learningTimeIncluded(envelope),
            isCompletion: envelope.isCourseCompletion, received: now)
        if options.dryRun { return describe(p) }
        if journal != nil { inRun["\(endpoint.journalScope):\(id)"] = line.location }
        pending += 1
        metrics.increment(.taskQueued)
        scheduler.enqueue(p)
    }

    private func reject(
        _ line: InputLine, _ message: String, hint: String = "", id: String? = nil,
        integration: String? = nil
    ) {
        diagnostics.error("rejected: \(message)\(hint.isEmpty ? "" : "; \(hint)")", at: line.location)
        var r = DeliveryResult(line: line.location, status: .rejected)
        r.id = id
        r.integration = integration
        r.error = message
        r.finishedAt = time.wallClock
        writeDeadLetter(Array(line.bytes), at: line.location)
        emit(r, endpoint: nil)
    }

    private func skip(_ line: InputLine, id: String, integration: String?, url: String, reason: String) {
        diagnostics.info("skipped: \(reason)", at: line.location)
        var r = DeliveryResult(line: line.location, status: .skipped)
        r.id = id
        r.integration = integration
        r.url = url
        r.error = reason
        r.finishedAt = time.wallClock
        emit(r, endpoint: integration)
    }

    private func learningTimeIncluded(_ envelope: Envelope) -> Bool? {
        guard let e = envelope.enrichment, envelope.json.kind(at: e.valueStart) == .object,
            let m = try? envelope.json.member("learning_time", ofObjectAt: e.valueStart)
        else { return nil }
        return envelope.json.text(m.value) == "true"
    }

    // MARK: - Attempts

    private func dispatch(_ now: Double) {
        while transport.inFlight < options.concurrency, let next = scheduler.next(now: now) {
            let (p, decision) = next
            switch decision {
            case .send: start(p, now)
            case .gone(let at):
                finish(p, .failed, "endpoint \(p.endpoint.name) answered 410 Gone (at \(at)); not sent", now)
            }
        }
    }

    private func tag(_ work: Work) -> Int {
        nextTag += 1
        inFlight[nextTag] = work
        return nextTag
    }

    /// Sends `p` now (its host slot is taken), or parks it until its endpoint's OAuth2 token arrives.
    private func start(_ p: PendingDelivery, _ now: Double) {
        let ep = p.endpoint
        if stopDeadline != nil || halt != nil {
            scheduler.releaseHost(ep.host)
            let reason = halt.map { "not sent: \($0.reason)" } ?? "interrupted before delivery (\(signalName))"
            return finish(p, .failed, reason, now)
        }
        var token: String?
        if let oauth = ep.oauth {
            token = p.freshToken ?? oauth.cached(now: now)
            p.freshToken = nil
            if token == nil {
                scheduler.releaseHost(ep.host)
                ep.tokenWaiters.append(p)
                if !oauth.fetching {
                    diagnostics.debug("fetching an OAuth2 token for \(ep.name)")
                    transport.start(oauth.request(), tag: tag(.token(ep)))
                }
                return
            }
            p.tokenUsed = token
        }
        let identity = AttemptIdentity(id: p.id, timestamp: Int(time.wallClock), body: p.body, token: token)
        let request = HTTPRequest(
            url: ep.endpoint.url, headers: ep.headers(identity), body: p.body,
            timeout: ep.endpoint.timeout, clientCertificate: ep.clientCertificate)
        p.attempts += 1
        if p.attempts == 1 { p.started = now }
        if p.clockStart == nil { p.clockStart = now }
        transport.start(request, tag: tag(.delivery(p, startedAt: time.wallClock, started: now)))
    }

    private func complete(_ tag: Int, _ r: HTTPResponse, _ now: Double) {
        guard let work = inFlight.removeValue(forKey: tag) else { return }
        switch work {
        case .token(let ep): tokenArrived(ep, r, now)
        case .delivery(let p, let startedAt, let started):
            attemptEnded(p, r, startedAt: startedAt, seconds: now - started, now)
        }
    }

    /// An endpoint's OAuth2 token request ended: its waiting lines go on, or each counts a failed attempt.
    private func tokenArrived(_ ep: EndpointState, _ r: HTTPResponse, _ now: Double) {
        guard let oauth = ep.oauth else { return }
        let waiters = ep.tokenWaiters
        ep.tokenWaiters = []
        do {
            let token = try oauth.accept(r, now: now)
            for p in waiters {
                p.freshToken = token
                scheduler.resume(p)
            }
        } catch {
            let message = (error as? LTError)?.description ?? "\(error)"
            for p in waiters {
                p.attempts += 1
                if p.attempts == 1 { p.started = now }
                if p.clockStart == nil { p.clockStart = now }
                scheduler.abandonProbe(p, now: now)
                retryOrFail(p, message, retryAfter: nil, now)
            }
        }
    }

    /// The cause of a failed attempt: where it went and what came back.
    private func cause(_ ep: EndpointState, _ r: HTTPResponse) -> String {
        // An address refusal already names the address, and reads the same whatever the port.
        if let e = r.transportError { return e.hasPrefix("refused: ") ? e : "POST to \(ep.hostPort) failed: \(e)" }
        return "\(ep.hostPort) answered \(r.status)"
    }

    private func attemptEnded(
        _ p: PendingDelivery, _ r: HTTPResponse, startedAt: Double, seconds: Double,
        _ now: Double
    ) {
        let ep = p.endpoint
        scheduler.releaseHost(ep.host)
        stats.attempt(endpoint: ep.name, httpStatus: r.status, seconds: r.seconds)
        p.httpStatus = r.status == 0 ? nil : r.status
        let success = (200..<300).contains(r.status)
        let snippet = success ? nil : ResponseSnippet.text(r.body)
        p.response = snippet
        let failure = success ? nil : cause(ep, r)
        if let failure, diagnostics.isOn(.info) {
            let response = snippet.map { "; response: \($0)" } ?? ""
            diagnostics.info("attempt \(p.attempts) to \(ep.name): \(failure)\(response)", at: p.location)
        }
        logAttempt(p, r, startedAt: startedAt, seconds: seconds, error: failure, response: snippet)
        if r.status == 401, let oauth = ep.oauth, !p.refreshedToken, let used = p.tokenUsed {
            // A token revoked or expired early: fetch a fresh one and try again, once.
            p.refreshedToken = true
            oauth.invalidate(used)
            diagnostics.info("\(ep.name) answered 401; fetching a new OAuth2 token and trying again", at: p.location)
            ep.tokenWaiters.append(p)
            if !oauth.fetching { transport.start(oauth.request(), tag: tag(.token(ep))) }
            return
        }
        let verdict: RetryPolicy.Verdict = r.permanent ? .permanent : ep.policy.classify(r)
        scheduler.record(
            p, healthy: r.status > 0 && r.status < 500 && r.status != 408 && r.status != 429,
            cause: failure, now: now)
        switch verdict {
        case .delivered:
            journal?.record(p.id, scope: ep.journalScope)
            finish(p, .delivered, nil, now)
        case .gone:
            ep.goneAt = p.location
            finish(
                p, .failed, "\(ep.hostPort) answered 410 Gone; the endpoint's remaining lines are dead-lettered",
                now)
            for w in scheduler.removeAll(for: ep) {
                finish(w, .failed, "endpoint \(ep.name) answered 410 Gone (at \(p.location)); not sent", now)
            }
        case .permanent:
            finish(p, .failed, failure.map { "\($0), which is not retried" } ?? "not retried", now)
        case .retry:
            retryOrFail(p, failure ?? "\(ep.hostPort) answered \(r.status)", retryAfter: r.retryAfter, now)
        }
    }

    private func logAttempt(
        _ p: PendingDelivery, _ r: HTTPResponse, startedAt: Double, seconds: Double, error: String?,
        response: String?
    ) {
        guard let attemptLog else { return }
        let record = AttemptLog.Record(
            location: p.location, id: p.id, integration: p.integration,
            url: p.endpoint.displayURL,
            attempt: p.attempts, startedAt: startedAt, seconds: seconds,
            httpStatus: r.status == 0 ? nil : r.status, error: error, response: response)
        do { try attemptLog.append(record) } catch {
            diagnostics.error("cannot write the attempts file \(attemptLog.file.path): \(error)", at: p.location)
        }
    }

    private func retryOrFail(_ p: PendingDelivery, _ error: String, retryAfter: String?, _ now: Double) {
        let ep = p.endpoint
        if stopDeadline != nil {
            return finish(p, .failed, "\(error); interrupted before another attempt (\(signalName))", now)
        }
        if let halt { return finish(p, .failed, "\(error); not retried: \(halt.reason)", now) }
        if p.attempts > ep.policy.retries {
            return finish(p, .failed, "\(error) (gave up after \(p.attempts) attempts)", now)
        }
        let delay = ep.policy.delay(
            beforeRetry: p.attempts, retryAfter: retryAfter, now: time.wallClock,
            random: Double.random(in: 0...1))
        if let budget = options.maxElapsed, now + delay - (p.clockStart ?? now) > budget {
            return finish(
                p, .failed, "\(error) (gave up after \(p.attempts) attempts: the next would start past --max-elapsed)",
                now)
        }
        diagnostics.info(
            "attempt \(p.attempts) to \(ep.name) failed (\(error)); retrying in \(Int(delay * 1000)) ms", at: p.location
        )
        scheduler.retry(p, at: now + delay)
    }

    /// A line held by an open breaker past `--max-elapsed`.
    private func giveUpHeld(_ p: PendingDelivery, _ now: Double) {
        let cause = scheduler.openCause(p.endpoint) ?? "failed attempts in a row"
        finish(
            p, .failed,
            "held while the circuit breaker for \(p.endpoint.name) was open (opened by: \(cause)); "
                + "gave up after \(p.attempts) attempts: --max-elapsed passed", now)
    }

    // MARK: - Stopping

    private var signalName: String { signals.received == SIGINT ? "SIGINT" : "SIGTERM" }

    /// Stops reading; lines not in flight are dead-lettered as interrupted, in-flight ones get `grace` seconds.
    private func beginStop(_ now: Double) {
        stopDeadline = now + options.grace
        diagnostics.warning(
            "\(signalName) received: no more input is read; \(transport.inFlight) transfers in flight get \(options.grace) s to finish"
        )
        let reason = "interrupted before delivery (\(signalName))"
        for p in scheduler.drainAll() {
            if let cause = scheduler.openCause(p.endpoint), p.heldSince != nil {
                finish(p, .failed, "\(reason); held while the circuit breaker was open (opened by: \(cause))", now)
            } else {
                finish(p, .failed, reason, now)
            }
        }
        for ep in Array(endpoints.values) + [urlEndpoint].compactMap({ $0 }) {
            let waiters = ep.tokenWaiters
            ep.tokenWaiters = []
            for p in waiters { finish(p, .failed, "\(reason), waiting for an OAuth2 token", now) }
        }
    }

    /// Stops reading after a line could not be recorded or standard output closed: lines read and
    /// not in flight (queued, held, waiting to retry or for a token, or already in the reader's
    /// buffer) are dead-lettered as not sent, and transfers in flight finish (journaled when delivered).
    private func beginHalt(_ h: Halt, _ reader: LineReader?, _ now: Double) throws {
        halt = h
        diagnostics.warning("\(h.reason): no more input is read; \(transport.inFlight) transfers in flight finish")
        let reason = "not sent: \(h.reason)"
        for p in scheduler.drainAll() { finish(p, .failed, reason, now) }
        for ep in Array(endpoints.values) + [urlEndpoint].compactMap({ $0 }) {
            let waiters = ep.tokenWaiters
            ep.tokenWaiters = []
            for p in waiters { finish(p, .failed, reason, now) }
        }
        // Lines already taken from the pipe get their fate too (named in one warning, not one error
        // each); the rest stays unread in the pipe or file.
        var drained: [SourceLocation] = []
        while let reader, reader.hasBufferedLine, let line = try reader.next() {
            var r = DeliveryResult(line: line.location, status: .failed)
            r.error = reason
            r.finishedAt = time.wallClock
            writeDeadLetter(Array(line.bytes), at: line.location)
            emit(r, endpoint: nil)
            drained.append(line.location)
        }
        if let first = drained.first, let last = drained.last {
            diagnostics.warning(
                "\(drained.count) lines already read from the input (\(first) to \(last)) were not sent; "
                    + "they are in the results as failed and in the dead-letter file")
        }
        commit()
    }

    private func abortInFlight(_ now: Double) {
        for tag in transport.inFlightTags {
            transport.cancel(tag: tag)
            guard let work = inFlight.removeValue(forKey: tag) else { continue }
            switch work {
            case .token(let ep):
                ep.oauth?.abandon()
            case .delivery(let p, _, _):
                scheduler.releaseHost(p.endpoint.host)
                finish(
                    p, .failed, "interrupted while in flight (\(signalName)); the endpoint may have received it", now)
            }
        }
    }

    // MARK: - Results out

    private func finish(_ p: PendingDelivery, _ status: DeliveryStatus, _ error: String?, _ now: Double) {
        pending -= 1
        if journal != nil { inRun["\(p.endpoint.journalScope):\(p.id)"] = nil }
        var r = DeliveryResult(line: p.location, status: status)
        r.id = p.id
        r.integration = p.integration
        r.url = p.endpoint.displayURL
        r.httpStatus = p.httpStatus
        r.attempts = p.attempts
        r.durationSeconds = p.attempts > 0 ? now - p.started : 0
        r.error = error
        r.response = status == .delivered ? nil : p.response
        r.learningTime = p.learningTime
        r.finishedAt = time.wallClock
        let tags = [("integration", p.endpoint.name), ("status", status.rawValue)]
        metrics.observe(.deliveryLatency, r.durationSeconds, tags: tags)
        metrics.observe(.deliveryAttempts, Double(p.attempts), tags: tags)
        metrics.observe(.taskDuration, now - p.received, tags: tags)
        metrics.gauge(.taskBacklog, Double(pending))
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
        emit(r, endpoint: p.endpoint.name)
    }

    private func emit(_ r: DeliveryResult, endpoint: String?) {
        stats.line(r.status, endpoint: endpoint)
        r.write(to: &batch)
        batch.raw([0x0A])
    }

    private func writeDeadLetter(_ line: [UInt8], at location: SourceLocation) {
        guard let deadLetter else { return }
        do { try deadLetter.appendLine(line) } catch {
            diagnostics.error("cannot write the dead-letter file: \(error)", at: location)
            recordingFailed("\(error)", lines: 1)
        }
    }

    // MARK: - Dry run

    /// Writes the request `p` would make, secrets masked, instead of sending it.
    private func describe(_ p: PendingDelivery) {
        let ep = p.endpoint
        let identity = AttemptIdentity(id: p.id, timestamp: Int(time.wallClock), body: p.body)
        batch.beginObject()
        batch.key("line"); batch.int(p.location.line)
        batch.key("source"); batch.string(p.location.source)
        batch.key("id"); batch.string(p.id)
        batch.key("dry_run"); batch.bool(true)
        batch.key("method"); batch.string("POST")
        batch.key("url"); batch.string(ep.displayURL)
        batch.key("headers"); batch.beginObject()
        for (name, value) in ep.maskedHeaders(identity, userAgent: options.transport.userAgent) {
            batch.key(name)
            batch.string(value)
        }
        batch.endObject()
        batch.key("body"); batch.raw(p.body)
        batch.endObject()
        batch.raw([0x0A])
    }
}
