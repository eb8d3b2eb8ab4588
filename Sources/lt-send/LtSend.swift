import ArgumentParser
import Foundation
import Shared

@main
struct LtSend: ParsableCommand {
    /// Parses `--stats=json` too, which the parser cannot take as an optional value.
    static func main() { main(InputOptions.normalized(Array(CommandLine.arguments.dropFirst()))) }

    static let configuration = CommandConfiguration(
        commandName: "lt-send",
        abstract: "POST webhook payloads to integration partners and report each delivery.",
        discussion: """
            Reads envelopes (or bare payloads) and POSTs each payload, byte for byte, to its endpoint: \
            --url for all lines, or the integration named by the envelope's "integration" in the \
            --integrations file. Many requests are in flight at once; a line waiting to be retried \
            never holds up the others.

            Writes one result per input line as soon as that line is final, so results may come out \
            of input order: each carries its line, source and id. Fields: line, source, id, integration, \
            url, status (delivered, failed, rejected, skipped), http_status, attempts, duration_ms, \
            error (with the endpoint's host:port and the cause), response (the first 4 KiB of a non-2xx \
            body), learning_time, finished_at. --attempts FILE logs every HTTP attempt.

            Outages: after --breaker-failures failed attempts in a row an endpoint's breaker opens and \
            its lines are held, not failed; one probe goes out per --breaker-cooldown, and when it is \
            answered the held lines go at full speed. Once an endpoint holds --max-held lines, input \
            reading stops until it is back. A line gives up only by its retry policy (--retries, \
            --retry-preset or --retry-schedule, --max-elapsed, which counts time held).

            Every line read ends delivered and journaled, or in the --dead-letter file as it arrived \
            (ready to be fed back), or skipped. With --journal (a SQLite file), each confirmed delivery \
            is recorded with its destination and time and synced before it is reported; a re-run with \
            the same journal skips ids already delivered to the same destination. The journal and the \
            dead-letter file are locked: a second lt-send on them exits 2, naming the first one's pid.

            An envelope id must be 1 to 256 visible ASCII characters; a line whose id is not is \
            rejected and dead-lettered, never sent nor journaled. The integrations file is checked \
            whole at start-up: unknown keys, header names and values, headers lt-send sets itself, \
            empty secrets, and every URL (parsed by libcurl; no user:password@).

            When a line cannot be recorded (full disk), or standard output closes (| head), no more \
            input is read, transfers in flight finish, lines read and not sent are dead-lettered, and \
            lt-send exits 74 (cannot record) or 1 (output closed).

            SIGINT or SIGTERM: no more input is read, transfers in flight get --grace to finish, the \
            rest is dead-lettered as interrupted, and lt-send exits 130 or 143.

            Safety: https only unless --allow-http; TLS 1.2 or later, verified (--cacert, else \
            CURL_CA_BUNDLE or SSL_CERT_FILE, else the system's CAs); --cert/--key (or tls in the \
            integrations file) for partners that require a client certificate; redirects not followed. \
            Each address a name resolves to is checked before its socket connects: it must be public \
            unless --allow-private or --allow-address allows it (behind HTTPS_PROXY, the proxy's \
            address), and every refusal reads the same. libcurl's HTTPS_PROXY and NO_PROXY apply. \
            Results and logs show URLs without their query string. Secrets come from environment variables or files named in \
            the integrations file and are never printed, --verbose and --dry-run included.

            Example:
              lt-query < completions.ndjson | lt-enrich | lt-send --integrations integrations.toml \\
                --journal sent.journal --dead-letter failed.ndjson > results.ndjson

            Exit status: 0 when every line was delivered or skipped as already delivered, 1 when any \
            was not (or standard output closed), 2 for configuration errors, 64 for usage errors, 74 \
            when lines could not be recorded.
            """,
        version: LTVersion.current)

    @OptionGroup var io: InputOptions

    @Option(help: "Send every line to this URL.") var url: String?
    @Option(help: "TOML file mapping integration names to endpoints (see examples/integrations.toml).") var integrations: String?
    @Option(help: "Append lines that were not delivered to this file, as they arrived.") var deadLetter: String?
    @Option(help: "Record delivered ids in this file and skip ids already in it.") var journal: String?
    @Option(help: "Further attempts after the first for retryable failures (default: one per step of the schedule).") var retries: Int?
    @Option(help: "Named retry schedule: upstream (30s,60s,120s; the default), quick (1s,2s,4s), standard-webhooks (5s,5m,30m,2h,5h,10h,10h).")
    var retryPreset = "upstream"
    @Option(help: "Explicit delays before each retry, such as 30s,60s,120s; the last repeats. Overrides --retry-preset.") var retrySchedule: String?
    @Option(help: "Longest time a line may spend from its first attempt to its last, such as 10m.") var maxElapsed: String?
    @Option(help: "Longest Retry-After honoured; longer ones are cut to this.") var maxRetryAfter = "5m"
    @Option(help: "Time one attempt may take, with --url.") var timeout = "30s"
    @Option(help: "Transfers in flight at once.") var concurrency = 16
    @Option(help: "Transfers in flight at once to one host (default: --concurrency).") var perHost: Int?
    @Option(help: "Requests per second over all endpoints, evenly spaced.") var rate: Double?
    @Option(help: "Failed attempts in a row that open an endpoint's circuit breaker (0: never).") var breakerFailures = 5
    @Option(help: "How long an open circuit breaker holds an endpoint's lines before one goes out as a probe.") var breakerCooldown = "30s"
    @Option(help: "Lines read and not final at once (default: 8 per --concurrency, at least 256).") var window: Int?
    @Option(help: "Lines one endpoint may hold while its breaker is open before input reading stops (default: --window).")
    var maxHeld: Int?
    @Option(help: "Append one NDJSON record per HTTP attempt to this file (see docs/contract.md).") var attempts: String?
    @Option(help: "Time in-flight transfers get to finish after SIGINT or SIGTERM.") var grace = "5s"
    @Option(help: "CA certificates file for https endpoints (default: $CURL_CA_BUNDLE, $SSL_CERT_FILE, then the system's).")
    var cacert: String?
    @Option(help: "Client certificate (PEM) presented to the --url endpoint when it asks for one (mutual TLS).") var cert: String?
    @Option(help: "Private key (PEM) of --cert, when it is not in the same file.") var key: String?
    @Option(help: "Environment variable holding the passphrase of an encrypted --key.") var keyPasswordEnv: String?
    @Flag(help: "Allow plain http endpoints (for test receivers).") var allowHttp = false
    @Flag(help: "Allow destinations on loopback, private, link-local and reserved addresses.") var allowPrivate = false
    @Option(help: "Allow this network (such as 10.20.0.0/16) although it is private; may be repeated.") var allowAddress: [String] = []
    @Flag(help: "Print each request (method, url, headers with secrets masked, body) as a JSON line instead of sending it.") var dryRun = false

    func validate() throws {
        if (url == nil) == (integrations == nil) { throw ValidationError("give exactly one of --url and --integrations") }
        if let retries, retries < 0 || retries > 20 { throw ValidationError("--retries must be from 0 to 20") }
        if RetryPolicy.Preset(rawValue: retryPreset) == nil {
            throw ValidationError("--retry-preset must be one of \(RetryPolicy.Preset.names)")
        }
        if let window, window < 1 || window > 1_000_000 { throw ValidationError("--window must be from 1 to 1000000") }
        if let maxHeld, maxHeld < 1 { throw ValidationError("--max-held must be at least 1") }
        if concurrency < 1 || concurrency > 1024 { throw ValidationError("--concurrency must be from 1 to 1024") }
        if let perHost, perHost < 1 { throw ValidationError("--per-host must be at least 1") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a positive number of requests per second") }
        if breakerFailures < 0 { throw ValidationError("--breaker-failures must be 0 or more") }
        if cert != nil && url == nil { throw ValidationError("--cert is for --url; set tls in the integrations file instead") }
        if (key != nil || keyPasswordEnv != nil) && cert == nil { throw ValidationError("--key and --key-password-env need --cert") }
    }

    func run() throws {
        let diagnostics = io.diagnostics(tool: "lt-send")
        try ToolRun.run(diagnostics) {
            var options = SendOptions()
            options.url = url
            options.integrations = try integrations.map { try IntegrationsConfig.load(path: $0) }
            options.deadLetterPath = deadLetter
            options.journalPath = journal
            options.allowHTTP = allowHttp
            options.allowPrivate = allowPrivate
            options.transport.caCertPath = cacert
            options.transport.inheritCertificateAuthorities(from: ProcessInfo.processInfo.environment)
            options.clientCertificate = cert.map { ClientCertificate(certificatePath: $0, keyPath: key) }
            options.keyPassword = keyPasswordEnv.map { SecretReference.environment($0) }
            options.transport.allowedNetworks = try allowAddress.map { try AddressGuard.Network($0) }
            options.timeout = try DurationText.parse(timeout, option: "--timeout")
            options.retry.apply(RetryPolicy.Preset(rawValue: retryPreset)!)
            if let retrySchedule {
                options.retry.schedule = try DurationText.parseList(retrySchedule, option: "--retry-schedule")
                options.retry.retries = max(3, options.retry.schedule.count)
            }
            if let retries { options.retry.retries = retries }
            options.attemptsPath = attempts
            options.retry.maxRetryAfter = try DurationText.parse(maxRetryAfter, option: "--max-retry-after")
            options.maxElapsed = try maxElapsed.map { try DurationText.parse($0, option: "--max-elapsed") }
            options.concurrency = concurrency
            options.perHost = perHost ?? concurrency
            options.window = window ?? max(256, concurrency * 8)
            options.maxHeld = maxHeld
            options.rate = rate
            options.breakerFailures = breakerFailures
            options.breakerCooldown = try DurationText.parse(breakerCooldown, option: "--breaker-cooldown")
            options.grace = try DurationText.parse(grace, option: "--grace")
            options.dryRun = dryRun
            let sender = try Sender(options: options, environment: ProcessInfo.processInfo.environment,
                                    diagnostics: diagnostics, output: OutputWriter.standardOutput())
            defer { io.report(sender.stats, diagnostics) }
            io.reportPeriodically(diagnostics) { sender.stats }
            try ToolRun.forEachInput(io.paths, diagnostics) { try sender.run($0) }
            try sender.finish()
            if let status = sender.signalExitStatus { throw ExitCode(status) }
        }
    }
}
