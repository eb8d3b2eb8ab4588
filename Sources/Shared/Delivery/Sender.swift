/// lt-send's core: routes each line to its endpoint, POSTs the payload bytes as they arrived,
/// retries what is worth retrying and writes one result per input line.
public final class Sender {
    private let options: SendOptions
    private let environment: [String: String]
    private let diagnostics: Diagnostics
    private let output: OutputWriter
    private let deadLetter: AppendFile?
    private let client = CurlEasy()
    private var signers: [String: WebhookSigner] = [:]
    private var tokens: [String: String] = [:]
    private var gone: Set<String> = []
    private var json = JSONBuffer(capacity: 1024)
    public private(set) var counts: [DeliveryStatus: Int] = [:]

    public init(options: SendOptions, environment: [String: String], diagnostics: Diagnostics, output: OutputWriter) throws {
        self.options = options
        self.environment = environment
        self.diagnostics = diagnostics
        self.output = output
        client.caCertPath = options.caCertPath
        deadLetter = try options.deadLetterPath.map { try AppendFile(path: $0) }
        for e in endpoints {
            try checkScheme(e.url, what: "integration \(e.name)")
            if let ref = e.signingSecrets { signers[e.name] = try WebhookSigner(secrets: ref.resolve(environment)) }
            if case .bearer(let ref) = e.auth { tokens[e.name] = try ref.resolve(environment) }
        }
        if let url = options.url { try checkScheme(url, what: "--url") }
    }

    private var endpoints: [Endpoint] { options.integrations.map { Array($0.endpoints.values) } ?? [] }

    private func checkScheme(_ url: String, what: String) throws {
        if url.hasPrefix("https://") { return }
        if url.hasPrefix("http://") {
            guard options.allowHTTP else {
                throw ConfigError("\(what) uses plain http (\(url.prefix(60)))", hint: "use https, or pass --allow-http for a test receiver")
            }
            return
        }
        throw ConfigError("\(what) is not an http(s) URL")
    }

    public func run(_ reader: LineReader) throws {
        reader.onWouldBlock = { [unowned self] in try? self.output.flush() }
        while let line = try reader.next() {
            let result = deliver(line)
            counts[result.status, default: 0] += 1
            json.removeAll()
            result.write(to: &json)
            try output.write(json.bytes)
            try output.endLine()
        }
        try output.flush()
    }

    private func reject(_ line: InputLine, _ message: String, id: String? = nil, integration: String? = nil) -> DeliveryResult {
        diagnostics.error("rejected: \(message)", at: line.location)
        var r = DeliveryResult(line: line.location, status: .rejected)
        r.id = id
        r.integration = integration
        r.error = message
        deadLetter(line)
        return r
    }

    private func deadLetter(_ line: InputLine) {
        do { try deadLetter?.appendLine(line.bytes) } catch {
            diagnostics.error("cannot write the dead-letter file: \(error)", at: line.location)
        }
    }

    private func deliver(_ line: InputLine) -> DeliveryResult {
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
        guard let payload = envelope.payload else {
            return reject(line, "the envelope has no payload", id: envelope.id, integration: envelope.integration)
        }
        let id = WebhookID.make(for: envelope)
        let endpoint: Endpoint
        if let url = options.url {
            var e = Endpoint(name: envelope.integration ?? "default", url: url)
            e.timeout = options.timeout
            endpoint = e
        } else {
            let name = envelope.integration ?? options.integrations?.defaultIntegration
            guard let name, let e = options.integrations?.endpoints[name] else {
                let known = options.integrations?.endpoints.keys.sorted().joined(separator: ", ") ?? ""
                return reject(line, envelope.integration.map { "unknown integration \"\($0)\" (known: \(known))" }
                              ?? "the line names no integration and the integrations file sets no default",
                              id: id, integration: envelope.integration)
            }
            endpoint = e
        }
        var result = DeliveryResult(line: line.location, status: .failed)
        result.id = id
        result.integration = options.url == nil ? endpoint.name : envelope.integration
        result.url = endpoint.url
        result.learningTime = learningTimeIncluded(envelope)
        if gone.contains(endpoint.name) {
            result.error = "endpoint answered 410 Gone earlier in this run"
            deadLetter(line)
            diagnostics.error("not sent: \(result.error!)", at: line.location)
            return result
        }
        let body = Array(envelope.json.bytes(payload))
        var policy = options.retry
        if let r = endpoint.retries { policy.retries = r }
        let started = Timestamps.monotonic()
        var attempt = 0
        while true {
            attempt += 1
            var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", options.userAgent)]
            headers.append(contentsOf: endpoint.headers)
            if let token = tokens[endpoint.name] { headers.append(("Authorization", "Bearer \(token)")) }
            if let signer = signers[endpoint.name] {
                headers.append(contentsOf: signer.headers(id: id, timestamp: Int(Timestamps.now()), body: body))
            } else {
                headers.append(("webhook-id", id))
            }
            let response = client.post(HTTPRequest(url: endpoint.url, headers: headers, body: body, timeout: endpoint.timeout))
            result.attempts = attempt
            result.httpStatus = response.status == 0 ? nil : response.status
            let verdict = RetryPolicy.classify(response)
            switch verdict {
            case .delivered:
                result.status = .delivered
                result.error = nil
                result.durationSeconds = Timestamps.monotonic() - started
                return result
            case .gone:
                gone.insert(endpoint.name)
                result.error = "endpoint answered 410 Gone; its remaining lines are dead-lettered"
            case .permanent:
                result.error = "endpoint answered \(response.status), which is not retried"
            case .retry:
                result.error = response.transportError ?? "endpoint answered \(response.status)"
            }
            if verdict != .retry || attempt > policy.retries {
                if verdict == .retry { result.error! += " (gave up after \(attempt) attempts)" }
                result.durationSeconds = Timestamps.monotonic() - started
                diagnostics.error("not delivered to \(endpoint.name): \(result.error!)", at: line.location)
                deadLetter(line)
                return result
            }
            let wait = policy.delay(beforeRetry: attempt, retryAfter: response.retryAfter, now: Timestamps.now(), random: Double.random(in: 0...1))
            diagnostics.info("attempt \(attempt) to \(endpoint.name) failed (\(result.error!)); retrying in \(Int(wait * 1000)) ms", at: line.location)
            Clock.sleep(seconds: wait)
        }
    }

    private func learningTimeIncluded(_ envelope: Envelope) -> Bool? {
        guard let e = envelope.enrichment, envelope.json.kind(at: e.valueStart) == .object,
              let m = try? envelope.json.member("learning_time", ofObjectAt: e.valueStart) else { return nil }
        return envelope.json.text(m.value) == "true"
    }
}
