/// Decides when each line may be attempted: it owns every endpoint's circuit breaker, the rate
/// limits (global and per endpoint), the per-host concurrency cap and the queues of lines waiting
/// for any of them. The ``Sender`` asks it for the next line to send and tells it how attempts ended.
///
/// While an endpoint's breaker is open its lines are *held*, not failed: after the cooldown the
/// first held line goes out as the probe; when it is answered, the breaker closes and every held
/// line is released at once. Held time counts toward `--max-elapsed` (``expired(now:budget:)``),
/// never toward a line's attempts.
///
/// What the partner says paces the whole endpoint: a `Retry-After` on a 429 or 503 stops every
/// line to it until then, not just the line that got it (a partner-wide rate limit), and 429s
/// shrink its concurrency (``AdaptiveConcurrency``), which recovers as answers succeed.
final class DeliveryScheduler {
    /// What the sender does with the line handed out.
    enum Decision {
        /// Send it now (its host slot is taken; give it back with ``release(_:)``).
        case send
        /// Fail it: the endpoint answered 410 Gone earlier.
        case gone(SourceLocation)
    }

    /// One endpoint's breaker, limiter and held lines.
    final class Lane {
        var breaker: CircuitBreaker
        var limiter: PacedLimiter?
        var held = FIFO<PendingDelivery>()
        /// The failure that last opened the breaker, named when a held line gives up.
        var openCause: String?
        /// A wake-up is scheduled for the end of the cooldown.
        var wakeScheduled = false
        /// Until when the partner asked, by `Retry-After`, that nothing be sent (monotonic seconds).
        var pausedUntil = -Double.infinity
        var concurrency: AdaptiveConcurrency
        var inFlight = 0
        /// Lines waiting for room under `concurrency`.
        var waiting = FIFO<PendingDelivery>()

        init(breaker: CircuitBreaker, limiter: PacedLimiter?, concurrency: Int) {
            self.breaker = breaker
            self.limiter = limiter
            self.concurrency = AdaptiveConcurrency(maximum: concurrency)
        }
    }

    private var lanes: [String: Lane] = [:]
    private var ready = FIFO<PendingDelivery>()
    /// Lines that were already under way (their OAuth2 token arrived): they go before `ready`.
    private var resumed = FIFO<PendingDelivery>()
    private var timers = TimerQueue<PendingDelivery>()
    private var wakes = TimerQueue<String>()
    private var hostWaiting: [String: FIFO<PendingDelivery>] = [:]
    private var hostInFlight: [String: Int] = [:]
    private var globalLimiter: PacedLimiter?
    private let perHost: Int
    /// The most requests one endpoint may have in flight (`--concurrency`), before 429s shrink it.
    private let perEndpoint: Int
    /// Lines one endpoint may hold before input reading stops.
    let maxHeld: Int
    /// Held lines in all lanes.
    private(set) var heldCount = 0
    private var nextExpirySweep = 0.0

    init(globalRate: Double?, perHost: Int, perEndpoint: Int, maxHeld: Int) {
        globalLimiter = globalRate.map { PacedLimiter(perSecond: $0) }
        self.perHost = perHost
        self.perEndpoint = perEndpoint
        self.maxHeld = maxHeld
    }

    /// Registers an endpoint with its breaker settings and rate limit.
    func add(_ ep: EndpointState, breakerFailures: Int, cooldown: Double, rateRule: CircuitBreaker.RateRule) {
        let limiter = ep.endpoint.maxRequestsPerMinute.map { PacedLimiter(perSecond: Double($0) / 60) }
        let breaker = CircuitBreaker(threshold: breakerFailures, cooldown: cooldown, rateRule: rateRule)
        lanes[ep.name] = Lane(breaker: breaker, limiter: limiter, concurrency: perEndpoint)
    }

    // MARK: - Lines in

    /// A line to try as soon as its endpoint allows.
    func enqueue(_ p: PendingDelivery) { ready.append(p) }

    /// A line that was already handed out and waited for its endpoint's token: it goes first.
    func resume(_ p: PendingDelivery) { resumed.append(p) }

    /// A line to try again at `due` (monotonic seconds).
    func retry(_ p: PendingDelivery, at due: Double) { timers.push(p, due: due) }

    /// True while some endpoint holds `maxHeld` lines: input reading stops (backpressure).
    var isBackedUp: Bool { heldCount > 0 && lanes.values.contains { $0.held.count >= maxHeld } }

    var hasReady: Bool { !ready.isEmpty || !resumed.isEmpty }

    /// When the next timer (retry, pacing slot, end of a cooldown, held lines' expiry) is due.
    func nextDue(budget: Double?) -> Double? {
        var due = [timers.nextDue, wakes.nextDue].compactMap { $0 }.min()
        if budget != nil && heldCount > 0 { due = min(due ?? nextExpirySweep, nextExpirySweep) }
        return due
    }

    // MARK: - Lines out

    /// The next line to send at `now`, with what to do with it; lines that must wait are parked.
    func next(now: Double) -> (PendingDelivery, Decision)? {
        while let p = timers.popDue(now: now) { ready.append(p) }
        while let name = wakes.popDue(now: now) {
            let lane = lanes[name]!
            lane.wakeScheduled = false
            // The first held line becomes the probe; the others stay held until it is answered.
            if let p = lane.held.popFirst() {
                heldCount -= 1
                ready.append(p)
            }
        }
        while let p = resumed.popFirst() ?? ready.popFirst() {
            if let d = admit(p, now) { return (p, d) }
        }
        return nil
    }

    private func admit(_ p: PendingDelivery, _ now: Double) -> Decision? {
        let ep = p.endpoint
        if let at = ep.goneAt { return .gone(at) }
        let lane = lanes[ep.name]!
        if !p.probe {
            switch lane.breaker.admit(now: now) {
            case .send: break
            case .probe: p.probe = true
            case .wait, .reject:
                hold(p, in: lane, now)
                return nil
            }
        }
        if now < lane.pausedUntil {
            timers.push(p, due: lane.pausedUntil)
            return nil
        }
        if lane.inFlight >= lane.concurrency.allowed {
            lane.waiting.append(p)
            return nil
        }
        if !p.paced && (globalLimiter != nil || lane.limiter != nil) {
            var t = now
            if let g = globalLimiter { t = max(t, g.earliest(now: now)) }
            if let l = lane.limiter { t = max(t, l.earliest(now: now)) }
            globalLimiter?.take(at: t)
            lane.limiter?.take(at: t)
            p.paced = true
            if t > now {
                timers.push(p, due: t)
                return nil
            }
        }
        if hostInFlight[ep.host, default: 0] >= perHost {
            hostWaiting[ep.host, default: FIFO()].append(p)
            return nil
        }
        hostInFlight[ep.host, default: 0] += 1
        lane.inFlight += 1
        p.paced = false
        return .send
    }

    private func hold(_ p: PendingDelivery, in lane: Lane, _ now: Double) {
        if p.heldSince == nil { p.heldSince = now }
        if p.clockStart == nil { p.clockStart = now }
        lane.held.append(p)
        heldCount += 1
        scheduleWake(p.endpoint.name, lane)
    }

    private func scheduleWake(_ name: String, _ lane: Lane) {
        guard !lane.wakeScheduled, case .open(let until) = lane.breaker.state else { return }
        lane.wakeScheduled = true
        wakes.push(name, due: until)
    }

    /// Gives back the host and endpoint slots of a line that was sent (or was to be), and lets the
    /// next waiting lines go.
    func release(_ ep: EndpointState) {
        hostInFlight[ep.host, default: 1] -= 1
        if let next = hostWaiting[ep.host]?.popFirst() { ready.append(next) }
        guard let lane = lanes[ep.name] else { return }
        lane.inFlight -= 1
        // Lines that find no room after all are parked again by `admit`.
        var room = lane.concurrency.allowed - lane.inFlight
        while room > 0, let next = lane.waiting.popFirst() {
            ready.append(next)
            room -= 1
        }
    }

    // MARK: - Outcomes

    /// Records how an attempt of `p` ended: `healthy` when the endpoint answered sensibly (2xx, most
    /// 4xx), `cause` saying what went wrong otherwise. Held lines are released when the breaker closes.
    ///
    /// `status` and `pause` (a 429's or 503's `Retry-After`, in seconds) pace the whole endpoint;
    /// `started` is when the attempt began, which tells a new burst of 429s from the rest of one.
    func record(
        _ p: PendingDelivery, healthy: Bool, answered: Bool = false, status: Int = 0, pause: Double? = nil,
        started: Double = 0, cause: String?, now: Double
    ) {
        let lane = lanes[p.endpoint.name]!
        if let pause { lane.pausedUntil = max(lane.pausedUntil, now + pause) }
        if status == 429 { lane.concurrency.tooManyRequests(started: started, now: now) }
        if (200..<300).contains(status) { lane.concurrency.succeeded() }
        let wasOpen = lane.breaker.state != .closed
        p.probe = false
        lane.breaker.record(healthy: healthy, answered: answered, now: now)
        switch lane.breaker.state {
        case .closed:
            if wasOpen || !lane.held.isEmpty {
                lane.openCause = nil
                for h in lane.held.drain() {
                    h.heldSince = nil
                    ready.append(h)
                }
                recount()
            }
        case .open:
            if let cause { lane.openCause = cause }
            scheduleWake(p.endpoint.name, lane)
        case .probing:
            break
        }
    }

    /// A probe that ended without an answer (interrupted, no token): the breaker opens again.
    func abandonProbe(_ p: PendingDelivery, now: Double) {
        guard p.probe else { return }
        record(p, healthy: false, cause: nil, now: now)
    }

    /// The cause that opened `ep`'s breaker, while it is open.
    func openCause(_ ep: EndpointState) -> String? {
        let lane = lanes[ep.name]!
        return lane.breaker.state == .closed ? nil : lane.openCause
    }

    // MARK: - Giving up

    /// Held lines whose time since their first attempt (or since they were first held) is past
    /// `budget`; checked at most once a second.
    func expired(now: Double, budget: Double?) -> [PendingDelivery] {
        guard let budget, heldCount > 0, now >= nextExpirySweep else { return [] }
        nextExpirySweep = now + min(1, budget / 4)
        var out: [PendingDelivery] = []
        for lane in lanes.values where !lane.held.isEmpty {
            var keep = FIFO<PendingDelivery>()
            for p in lane.held.drain() {
                if now - (p.clockStart ?? now) >= budget { out.append(p) } else { keep.append(p) }
            }
            lane.held = keep
        }
        recount()
        return out
    }

    /// Removes every line of `ep` waiting anywhere (after a 410).
    func removeAll(for ep: EndpointState) -> [PendingDelivery] {
        var out = timers.removeAll(where: { $0.endpoint === ep })
        var keep = FIFO<PendingDelivery>()
        for p in ready.drain() { if p.endpoint === ep { out.append(p) } else { keep.append(p) } }
        ready = keep
        var keepResumed = FIFO<PendingDelivery>()
        for p in resumed.drain() { if p.endpoint === ep { out.append(p) } else { keepResumed.append(p) } }
        resumed = keepResumed
        if var waiting = hostWaiting[ep.host] {
            var rest = FIFO<PendingDelivery>()
            for p in waiting.drain() { if p.endpoint === ep { out.append(p) } else { rest.append(p) } }
            hostWaiting[ep.host] = rest
        }
        out.append(contentsOf: lanes[ep.name]!.held.drain())
        out.append(contentsOf: lanes[ep.name]!.waiting.drain())
        recount()
        return out
    }

    /// Removes every line not in flight (on a stop signal).
    func drainAll() -> [PendingDelivery] {
        var out = timers.drain() + resumed.drain() + ready.drain()
        for host in Array(hostWaiting.keys) { out.append(contentsOf: hostWaiting[host]!.drain()) }
        for lane in lanes.values { out.append(contentsOf: lane.held.drain() + lane.waiting.drain()) }
        _ = wakes.drain()
        recount()
        return out
    }

    private func recount() { heldCount = lanes.values.reduce(0) { $0 + $1.held.count } }
}
