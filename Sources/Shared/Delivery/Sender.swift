// Over 400 lines for now: the event loop and the fate of an attempt (retry, hold, token wait, 410,
// stop) read as one state machine. The next step is moving the attempt outcomes (attemptEnded,
// retryOrFail, the token turn) into their own type beside DeliveryRecorder.
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
/// Input is read only while fewer than `window` lines are queued, held or in flight, fewer than
/// `maxRetrying` (at least `window`) wait for a retry, their bytes together are under `windowBytes`, and no endpoint
/// holds `maxHeld` lines behind an open breaker, so memory stays bounded whatever the input's size
/// and however long a partner is down: unread input waits in the pipe or file. Lines waiting for a
/// retry are kept out of the `window` count because they wait 30 s or more: counted in, a flaky
/// partner filled the window with them and reading stopped.
///
/// Delivered ids reach the journal (synced) before their results are written; lines that are not
/// delivered go to the dead-letter file as they arrived. When a line cannot be recorded (a full
/// disk) or standard output closes, reading stops, lines not yet sent are dead-lettered, transfers
/// in flight finish, and ``finish()`` throws: every line read keeps one fate.
///
/// Its parts: ``DeliveryRoutes`` (where lines go), ``InboundLine`` and ``RunDeduplicator`` (what
/// is sent), ``DeliveryScheduler`` (when), ``OAuthTokenSource`` (the token gate) and
/// ``DeliveryRecorder`` (results, dead letters, the journal's sync, and the halt state).
public final class Sender {
    private let options: SendOptions
    private let diagnostics: Diagnostics
    private let metrics: Metrics
    private let recorder: DeliveryRecorder
    private let routes: DeliveryRoutes
    private let dedupe: RunDeduplicator?
    private let transport: Transport
    private let time: TimeSource
    private let signals: any StopSignalSource
    private let scheduler: DeliveryScheduler
    /// What each transfer in flight is for, by tag.
    private var inFlight: [Int: Work] = [:]
    private var nextTag = 0
    /// Lines read and not final yet.
    private var pending = 0
    /// Of the `pending` lines, those waiting for a retry (``PendingDelivery/awaitingRetry``).
    private var retrying = 0
    /// Bytes of the `pending` lines (``PendingDelivery/size``), bounded by `--window-bytes`.
    private var pendingBytes = 0
    private var stopDeadline: Double?
    private var halt: Halt? { recorder.halt }
    private var journal: DeliveryJournal? { recorder.journal }
    public var stats: DeliveryStats { recorder.stats }

    /// A transfer in flight: one attempt of a line, or an endpoint's OAuth2 token request.
    private enum Work {
        case delivery(PendingDelivery, startedAt: Double, started: Double)
        case token(EndpointState)
    }

    /// `signals` is where a stop comes from (``StopSignals`` for the process's SIGINT and SIGTERM);
    /// `transport` and `time` default to libcurl and the system clocks; tests pass fakes.
    public init(
        options: SendOptions, environment: [String: String], diagnostics: Diagnostics, metrics: Metrics,
        output: OutputWriter, signals: any StopSignalSource, transport: Transport? = nil,
        time: TimeSource = SystemTime()
    ) throws {
        self.options = options
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.time = time
        self.signals = signals
        recorder = try DeliveryRecorder(
            options: options, diagnostics: diagnostics, metrics: metrics, output: output, time: time)
        dedupe = recorder.journal.map { RunDeduplicator(journal: $0, resendChanged: options.resendChanged) }
        self.transport =
            try transport
            ?? CurlTransport(settings: options.transport, maxConnections: options.concurrency * 2)
        scheduler = DeliveryScheduler(
            globalRate: options.rate, perHost: options.perHost, perEndpoint: options.concurrency,
            maxHeld: min(options.maxHeld ?? options.window, options.window))
        routes = try DeliveryRoutes(
            options: options, environment: environment, journal: recorder.journal, secrets: diagnostics.secrets)
        metrics.startAtZero(.taskQueued)
        for e in routes.all {
            // The counters the delivery alerts divide by, at 0 from the start for every destination.
            for m in [Metric.successWithLearningTime, .successWithoutLearningTime, .successEnrollment] {
                metrics.startAtZero(m, tags: [("integration", e.name)])
            }
            for w in e.warnings { diagnostics.warning(w) }
            scheduler.add(
                e, breakerFailures: options.breakerFailures, cooldown: options.breakerCooldown,
                rateRule: options.breakerRate)
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
    /// lines could not be recorded (an ``IOError``, exit 74) or standard output closed (exit 1).
    public func finish() throws {
        try loop(nil)
        if let failure = recorder.failure() { throw failure }
        if options.pruneDelivered, let path = options.deadLetterPath, let journal {
            let dropped = try DeadLetterPruner.prune(path: path, routes: routes, journal: journal)
            diagnostics.info(
                "dropped \(dropped) lines that the journal shows delivered from the dead-letter file \(path)")
        }
    }

    // MARK: - Event loop

    /// True while input may be read: room in the window (lines waiting for a retry are bounded
    /// apart, and by bytes with the rest), and no endpoint holding its share.
    private var wantsInput: Bool {
        pending - retrying < options.window && retrying < max(options.maxRetrying, options.window)
            && pendingBytes < options.windowBytes && !scheduler.isBackedUp
            && recorder.queuedBytes < options.maxQueuedResultBytes
            && !routes.oauthEndpoints.contains { ($0.oauth?.waiting ?? 0) >= scheduler.maxHeld }
    }

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
            if halt == nil && stopDeadline == nil { tokenTurn(now) }
            dispatch(now)
            let finished = transport.perform()
            now = time.monotonic
            for (tag, r) in finished { complete(tag, r, now) }
            if let deadline = stopDeadline, now >= deadline { abortInFlight(now) }
            // Commit before starting more, so at most `concurrency` lines are ever sent but unrecorded.
            recorder.commit()
            dispatch(now)
            recorder.commit()
            if recorder.dryRunOutputClosed { throw OutputClosed() }
            if let h = recorder.haltRequested, halt == nil { try beginHalt(h, reader, now) }
            if reader != nil && inputEnded { return }
            // Once every line is final, the run ends when standard output has taken every result.
            if pending == 0 && (reader == nil || stopDeadline != nil || halt != nil) && !recorder.waitsForOutput {
                return
            }

            var timeout = 100.0  // ms; also how soon a stop signal is noticed
            // A timer already due (a retry) can only wait while every slot is in flight: the next
            // transfer to finish wakes the loop. Waiting 0 ms for it would spin.
            if let due = scheduler.nextDue(budget: options.maxElapsed),
                due > now || transport.inFlight < options.concurrency
            {
                timeout = min(timeout, (due - now) * 1000)
            }
            if let due = routes.nextTokenDue { timeout = min(timeout, (due - now) * 1000) }
            if scheduler.hasReady && transport.inFlight < options.concurrency { timeout = 0 }
            if let deadline = stopDeadline { timeout = min(timeout, (deadline - now) * 1000) }
            var fds: [Int32] = []
            if let reader, !inputEnded, stopDeadline == nil, halt == nil, wantsInput {
                if reader.hasBufferedLine { timeout = 0 } else { fds.append(reader.fileDescriptor) }
            }
            let writable = recorder.waitsForOutput ? [recorder.outputDescriptor] : []
            if timeout > 0 || transport.inFlight > 0 {
                transport.wait(fds: fds, writable: writable, milliseconds: Int(max(0, timeout).rounded(.up)))
            }
        }
    }

    // MARK: - Lines in

    /// A line read: parsed, routed and deduplicated, then queued for its endpoint; or answered at once.
    private func accept(_ line: InputLine, _ now: Double) {
        let inbound: InboundLine
        switch InboundLine.parse(line) {
        case .success(let l): inbound = l
        case .failure(let r): return recorder.reject(line, r)
        }
        let endpoint: EndpointState
        let integration: String?
        switch routes.route(inbound) {
        case .success(let route): (endpoint, integration) = route
        case .failure(let r): return recorder.reject(line, r)
        }
        let id = inbound.id
        var admission = RunDeduplicator.Admission()
        if let dedupe {
            do {
                switch try dedupe.check(inbound, endpoint) {
                case .skip(let reason):
                    return recorder.skip(
                        line, id: id, integration: integration, url: endpoint.displayURL, reason: reason,
                        enrichment: inbound.enrichment)
                case .send(let a): admission = a
                }
            } catch {
                recorder.recordingFailed("\(error)", lines: 0)
                return recorder.reject(
                    line, LineRejection(message: "not sent: \(error)", id: id, integration: integration))
            }
        }
        // A correction goes under its revision's id, marked (docs/contract.md, "Corrections").
        let revision = admission.revision
        let p = PendingDelivery(
            location: line.location, line: Array(line.bytes),
            body: revision.map { $0.mark(inbound.envelope) } ?? inbound.body,
            id: revision.map { HeaderValue(computed: $0.id) } ?? inbound.idHeader, endpoint: endpoint,
            integration: integration, enrichment: inbound.enrichment,
            isCompletion: inbound.envelope.isCourseCompletion, received: now, revision: revision,
            digest: admission.digest)
        if options.dryRun { return recorder.describe(p, userAgent: options.transport.userAgent) }
        if let revision { diagnostics.info("learning time changed: sending \(p.id), \(revision)", at: line.location) }
        dedupe?.begin(id, endpoint, at: line.location)
        pending += 1
        pendingBytes += p.size
        recorder.pendingBytes(pendingBytes)
        metrics.increment(.taskQueued)
        scheduler.enqueue(p)
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
        leaveRetry(p)
        if stopDeadline != nil || halt != nil {
            scheduler.release(ep)
            let reason = halt.map { "not sent: \($0.reason)" } ?? "interrupted before delivery (\(signalName))"
            return finish(p, .failed, reason, now)
        }
        var token: HeaderValue?
        if let oauth = ep.oauth {
            switch oauth.gate(p, now: now) {
            case .go(let t): token = t
            case .wait(let fetch):
                scheduler.release(ep)
                if let fetch {
                    diagnostics.debug("fetching an OAuth2 token for \(ep.name)")
                    transport.start(fetch, tag: tag(.token(ep)))
                }
                return
            case .refused(let reason):
                scheduler.release(ep)
                return refuse(p, reason, now)
            }
        }
        let identity = AttemptIdentity(id: p.idHeader, timestamp: Int(time.wallClock), body: p.body, token: token)
        let request = HTTPRequest(
            url: ep.endpoint.url.text, headers: ep.headers(identity) + (p.revision?.headers ?? []), body: p.body,
            timeout: ep.endpoint.timeout, clientCertificate: ep.clientCertificate)
        p.beginAttempt(now)
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

    /// An endpoint's OAuth2 token request ended: its waiting lines go on, stay held while the token
    /// endpoint fails, or fail when it refused the client.
    private func tokenArrived(_ ep: EndpointState, _ r: HTTPResponse, _ now: Double) {
        guard let oauth = ep.oauth else { return }
        let (lines, outcome) = oauth.arrived(r, now: now)
        switch outcome {
        case .token:
            for p in lines { scheduler.resume(p) }
        case .failed(let cause, let opened):
            diagnostics.info("\(cause); \(oauth.waiting) lines of \(ep.name) wait for a token")
            if opened {
                diagnostics.warning(
                    "\(cause): lines waiting for its tokens are held, and one token request goes out per "
                        + "\(DurationText.format(options.breakerCooldown)) until it answers")
            }
        case .refused(let reason):
            diagnostics.error("\(reason); the lines of \(ep.name) are not sent")
            for p in lines { refuse(p, reason, now) }
        }
    }

    /// Fails `p` without sending it: its token endpoint refused the client credentials.
    private func refuse(_ p: PendingDelivery, _ reason: String, _ now: Double) {
        scheduler.abandonProbe(p, now: now)
        finish(p, .failed, "not sent: \(reason)", now)
    }

    /// Starts the token requests due at `now` (after a failed one, or at the end of a cooldown), and
    /// gives up the lines held for a token past `--max-elapsed`.
    private func tokenTurn(_ now: Double) {
        for ep in routes.oauthEndpoints {
            guard let oauth = ep.oauth else { continue }
            for p in oauth.expired(now: now, budget: options.maxElapsed) {
                let cause = oauth.health.lastFailure ?? "failed token requests"
                scheduler.abandonProbe(p, now: now)
                finish(
                    p, .failed,
                    "held while the OAuth2 token endpoint for \(ep.name) was failing (\(cause)); "
                        + "gave up after \(p.attempts) attempts: --max-elapsed passed", now)
            }
            if let fetch = oauth.fetch(now: now) { transport.start(fetch, tag: tag(.token(ep))) }
        }
    }

    private func attemptEnded(
        _ p: PendingDelivery, _ r: HTTPResponse, startedAt: Double, seconds: Double,
        _ now: Double
    ) {
        let ep = p.endpoint
        scheduler.release(ep)
        recorder.attempt(endpoint: ep.name, httpStatus: r.status, seconds: r.seconds)
        p.httpStatus = r.status == 0 ? nil : r.status
        let success = (200..<300).contains(r.status)
        // The one place a partner's answer becomes result and log text: masked here, typed after.
        let snippet = success ? nil : ep.secrets.snippet(r.body)
        p.response = snippet
        let failure = success ? nil : ep.failureCause(r)
        if let failure, diagnostics.isOn(.info) {
            let response = snippet.map { "; response: \($0)" } ?? ""
            diagnostics.info("attempt \(p.attempts) to \(ep.name): \(failure)\(response)", at: p.location)
        }
        recorder.logAttempt(p, r, startedAt: startedAt, seconds: seconds, error: failure, response: snippet)
        if r.status == 401, let oauth = ep.oauth, case .wait(let fetch) = oauth.refresh(after401: p, now: now) {
            diagnostics.info("\(ep.name) answered 401; fetching a new OAuth2 token and trying again", at: p.location)
            if let fetch { transport.start(fetch, tag: tag(.token(ep))) }
            return
        }
        let verdict: RetryPolicy.Verdict = r.permanent ? .permanent : ep.policy.classify(r)
        // A 429 is the partner's rate limit, not ill health: it paces the endpoint (a Retry-After on a
        // 429 or 503 holds all its lines until then; 429s shrink its concurrency), never opens the breaker.
        var pause: Double?
        if r.status == 429 || r.status == 503, let text = r.retryAfter,
            let wait = RetryPolicy.parseRetryAfter(text, now: time.wallClock)
        {
            pause = min(max(0, wait), ep.policy.maxRetryAfter)
        }
        scheduler.record(
            p, healthy: r.status > 0 && r.status < 500 && r.status != 408, answered: r.status > 0, status: r.status,
            pause: pause, started: now - seconds, cause: failure, now: now)
        switch verdict {
        case .delivered:
            journal?.record(
                DeliveryJournal.Delivery(
                    id: p.id, scope: ep.journalScope, digest: p.digest,
                    totalSeconds: p.learningTime == true ? p.enrichment?.totalSeconds : nil,
                    revision: p.revision?.number ?? 0, revisionOf: p.revision?.original))
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
        p.awaitingRetry = true
        retrying += 1
        scheduler.retry(p, at: now + delay)
    }

    /// `p`'s wait for a retry is over (its attempt starts, or it becomes final): it counts in the window again.
    private func leaveRetry(_ p: PendingDelivery) {
        guard p.awaitingRetry else { return }
        p.awaitingRetry = false
        retrying -= 1
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
        for p in routes.tokenWaiters() { finish(p, .failed, "\(reason), waiting for an OAuth2 token", now) }
    }

    /// Stops reading after a line could not be recorded or standard output closed: lines read and
    /// not in flight (queued, held, waiting to retry or for a token, or already in the reader's
    /// buffer) are dead-lettered as not sent, and transfers in flight finish (journaled when delivered).
    private func beginHalt(_ h: Halt, _ reader: LineReader?, _ now: Double) throws {
        recorder.beginHalt(h)
        diagnostics.warning("\(h.reason): no more input is read; \(transport.inFlight) transfers in flight finish")
        let reason = "not sent: \(h.reason)"
        for p in scheduler.drainAll() { finish(p, .failed, reason, now) }
        for p in routes.tokenWaiters() { finish(p, .failed, reason, now) }
        // Lines already taken from the pipe get their fate too (named in one warning, not one error
        // each); the rest stays unread in the pipe or file.
        var drained: [SourceLocation] = []
        while let reader, reader.hasBufferedLine, let line = try reader.next() {
            recorder.notSent(line, reason)
            drained.append(line.location)
        }
        if let first = drained.first, let last = drained.last {
            diagnostics.warning(
                "\(drained.count) lines already read from the input (\(first) to \(last)) were not sent; "
                    + "they are in the results as failed and in the dead-letter file")
        }
        recorder.commit()
    }

    private func abortInFlight(_ now: Double) {
        for tag in transport.inFlightTags {
            transport.cancel(tag: tag)
            guard let work = inFlight.removeValue(forKey: tag) else { continue }
            switch work {
            case .token(let ep):
                ep.oauth?.abandon()
            case .delivery(let p, _, _):
                scheduler.release(p.endpoint)
                finish(
                    p, .failed, "interrupted while in flight (\(signalName)); the endpoint may have received it", now)
            }
        }
    }

    // MARK: - Results out

    private func finish(_ p: PendingDelivery, _ status: DeliveryStatus, _ error: String?, _ now: Double) {
        leaveRetry(p)
        pending -= 1
        pendingBytes -= p.size
        dedupe?.end(p.lineID, p.endpoint)
        recorder.final(p, status, error, now: now, backlog: pending)
    }
}
