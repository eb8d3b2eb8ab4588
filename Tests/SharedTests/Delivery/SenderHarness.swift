import Foundation

@testable import Shared

/// A clock the tests move: the fake transport advances it while lt-send's loop waits.
final class FakeTime: TimeSource {
    var now = 0.0
    var monotonic: Double { now }
    var wallClock: Double { 1_800_000_000 + now }
}

/// A transport that answers in-process on the fake clock: `answer` decides each request's
/// response and how long it takes. Every request is recorded with its start time.
final class FakeTransport: Transport {
    struct Sent {
        var time: Double
        var request: HTTPRequest
        /// The `n` of the payload (`{"n":…}`), which is the input line number in these tests.
        var n: Int? {
            guard let s = String(bytes: request.body, encoding: .utf8), let r = s.range(of: "\"n\":") else {
                return nil
            }
            return Int(s[r.upperBound...].prefix { $0.isNumber })
        }
        func header(_ name: String) -> String? { request.headers.first { $0.name.lowercased == name }?.value.text }
    }

    let time: FakeTime
    var answer: (HTTPRequest, Double) -> (HTTPResponse, Double)
    private(set) var sent: [Sent] = []
    private var running: [(tag: Int, due: Double, response: HTTPResponse)] = []

    init(time: FakeTime, answer: @escaping (HTTPRequest, Double) -> (HTTPResponse, Double)) {
        self.time = time
        self.answer = answer
    }

    var inFlight: Int { running.count }
    var inFlightTags: [Int] { running.map(\.tag) }

    func start(_ request: HTTPRequest, tag: Int) {
        sent.append(Sent(time: time.now, request: request))
        var (r, latency) = answer(request, time.now)
        r.seconds = latency
        running.append((tag, time.now + latency, r))
    }

    func cancel(tag: Int) { running.removeAll { $0.tag == tag } }

    func perform() -> [(tag: Int, response: HTTPResponse)] {
        let done = running.filter { $0.due <= time.now }.sorted { $0.due < $1.due }
        running.removeAll { $0.due <= time.now }
        return done.map { ($0.tag, $0.response) }
    }

    func wait(fds: [Int32], writable: [Int32], milliseconds: Int) {
        let until = time.now + Double(milliseconds) / 1000
        time.now = min(until, running.map(\.due).min() ?? until)
    }

    /// Requests to URLs containing `part`.
    func sent(to part: String) -> [Sent] { sent.filter { $0.request.url.contains(part) } }
}

/// Runs a Sender over `lines` with a fake transport and clock, and returns its results.
struct SenderRun {
    let time = FakeTime()
    /// The run's stop signals, raised by hand: the test process's signal mask is never touched.
    var signals = ManualStopSignals()
    let transport: FakeTransport
    /// Removed, with the journal and dead-letter files in it, once the run is released.
    let folder: ScratchFolder
    var options = SendOptions()
    var integrations: String?
    var environment: [String: String] = [:]

    init(answer: @escaping (HTTPRequest, Double) -> (HTTPResponse, Double)) {
        transport = FakeTransport(time: time, answer: answer)
        folder = try! ScratchFolder("lt-sender")
        options.url = try? HTTPURL("http://127.0.0.1:9/hook?key=secret", what: "--url", allowHTTP: true)
        options.allowHTTP = true
        options.allowPrivate = true
        options.retry.schedule = [1, 2, 4]
        options.retry.retries = 3
    }

    func file(_ name: String) -> String { folder.file(name) }

    /// Lines `{"id":"m-N","payload":{"n":N}}` for N in 1...count, routed by `integration(N)` when given.
    static func input(_ count: Int, integration: ((Int) -> String)? = nil) -> String {
        (1...count).map { n in
            let route = integration.map { #","integration":"\#($0(n))""# } ?? ""
            return #"{"id":"m-\#(n)"\#(route),"payload":{"n":\#(n)}}"#
        }.joined(separator: "\n") + "\n"
    }

    /// Runs to the end; results by line number.
    func run(_ input: String) throws -> [Int: [String: Any]] {
        var options = self.options
        if let integrations {
            options.url = nil
            options.integrations = try IntegrationsConfig.parse(integrations, source: "test.toml")
        }
        try input.write(toFile: file("in.ndjson"), atomically: true, encoding: .utf8)
        let outFD = open(file("out.ndjson"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let diagnostics = Diagnostics(tool: "lt-send", threshold: .error, fd: devNull)
        let output = OutputWriter(fd: outFD, name: "out")
        do {
            let sender = try Sender(
                options: options, environment: environment, diagnostics: diagnostics,
                metrics: Metrics(tool: "lt-send"), output: output, signals: signals,
                transport: transport, time: time)
            let reader = try LineReader.open(file("in.ndjson"))
            try sender.run(reader)
            try sender.finish()
            try output.flush()
        }
        close(outFD)
        var results: [Int: [String: Any]] = [:]
        for line in try String(contentsOfFile: file("out.ndjson"), encoding: .utf8).split(separator: "\n") {
            let r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            results[r["line"] as! Int] = r
        }
        return results
    }
}

/// Stop signals raised by hand, for in-process runs that must not block the process's signals.
final class ManualStopSignals: StopSignalSource {
    private(set) var received: Int32?

    /// Delivers `signal` (SIGINT or SIGTERM) to the run; the event loop notices it on its next turn.
    func raise(_ signal: Int32) { received = signal }

    func check() -> Bool { received != nil }
}

extension HTTPResponse {
    static func status(_ s: Int, body: String = "", retryAfter: String? = nil) -> HTTPResponse {
        HTTPResponse(status: s, retryAfter: retryAfter, body: Array(body.utf8))
    }
}
