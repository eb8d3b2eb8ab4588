import ArgumentParser
import FoundationEssentials
import Shared

/// lt-send's own options; ``sendOptions()`` turns them into the core's settings. Each default is
/// the core's (`SendOptions()`), declared once there.
public struct SendArguments: ParsableArguments {
    private static let defaults = SendOptions()

    @Option(help: ArgumentHelp("Send every line to this URL.", valueName: "url"))
    public var url: HTTPURLArgument?
    @Option(
        help: "TOML file mapping integration names to endpoints (see examples/integrations.toml).",
        completion: .file())
    public var integrations: String?
    @Option(
        name: [.customShort("H"), .long],
        help: ArgumentHelp(
            "With --url, add this request header; may be repeated. One line of text; the headers lt-send sets "
                + "(Host, Content-*, Expect, webhook-*, ...) are refused, as in the integrations file.",
            valueName: "name:value"))
    public var header: [HeaderArgument] = []
    @Option(
        help: ArgumentHelp(
            "With --url, send 'Authorization: Bearer' with the token in this environment variable.",
            valueName: "variable"))
    public var bearerEnv: String?
    @Option(
        help:
            "Append lines that were not delivered to this file, as they arrived (created 0600; a symbolic link is refused).",
        completion: .file())
    public var deadLetter: String?
    @Option(
        help:
            "Record delivered ids in this file and skip ids already in it (SQLite, created 0600; a symbolic link or another program's database is refused).",
        completion: .file())
    public var journal: String?
    @Flag(
        help: ArgumentHelp(
            "At the end of the run, drop from the --dead-letter file the lines that the --journal shows as "
                + "delivered (by this run, a resumed run or a replay), so that it lists only what is still "
                + "undelivered. The file is replaced whole, 0600, while still locked."))
    public var pruneDelivered = false
    @Option(help: "Further attempts after the first for retryable failures (default: one per step of the schedule).")
    public var retries: Int?
    @Option(
        help: ArgumentHelp(
            "Named retry schedule: upstream (30s,60s,120s; the default), quick (1s,2s,4s), "
                + "standard-webhooks (5s,5m,30m,2h,5h,10h,10h).",
            valueName: "preset"),
        completion: .list(RetryPolicy.Preset.allCases.map(\.rawValue)))
    public var retryPreset = RetryPolicy.Preset.upstream
    @Option(
        help: ArgumentHelp(
            "Explicit delays before each retry, such as 30s,60s,120s; the last repeats. Overrides --retry-preset.",
            valueName: "durations"))
    public var retrySchedule: DurationListArgument?
    @Option(
        help: ArgumentHelp(
            "Longest time a line may spend from its first attempt to its last, such as 10m.",
            valueName: "duration"))
    public var maxElapsed: DurationArgument?
    @Option(help: ArgumentHelp("Longest Retry-After honoured; longer ones are cut to this.", valueName: "duration"))
    public var maxRetryAfter = DurationArgument(seconds: defaults.retry.maxRetryAfter)
    @Option(help: ArgumentHelp("Time one attempt may take, with --url.", valueName: "duration"))
    public var timeout = DurationArgument(seconds: defaults.timeout)
    @Option(help: "Transfers in flight at once.")
    public var concurrency = defaults.concurrency
    @Option(
        help: """
            Transfers in flight at once to one host: one scheme, host and port, however spelled \
            (https://a and https://a:443 are one) (default: --concurrency).
            """)
    public var perHost: Int?
    @Option(help: "Requests per second over all endpoints, evenly spaced.")
    public var rate: Double?
    @Option(
        help: ArgumentHelp(
            "Attempts in a row with no answer (refused, reset, DNS, TLS, timeout) that open an endpoint's circuit breaker (0: never).",
            discussion: "Failed answers (5xx, 408) open it only at 50 % of at least 50 attempts in 30 s."))
    public var breakerFailures = defaults.breakerFailures
    @Option(
        help: ArgumentHelp(
            "How long an open circuit breaker holds an endpoint's lines before one goes out as a probe.",
            valueName: "duration"))
    public var breakerCooldown = DurationArgument(seconds: defaults.breakerCooldown)
    @Option(
        help: ArgumentHelp(
            "Lines read and not final at once, apart from those waiting for a retry (default: 8 per --concurrency, at least 256).",
            discussion:
                "Lines waiting for a retry are bounded by --window-bytes with the rest, and to 16384 (or --window, if larger) in number."
        ))
    public var window: Int?
    @Option(
        help: ArgumentHelp(
            "Bytes of lines read and not final at once (held, in flight, waiting to be retried); input reading stops at this bound.",
            discussion:
                "Counts each line as read plus its payload. Bounds memory whatever the line sizes: with the default, peak resident memory stays under about 128 MB.",
            valueName: "bytes"))
    public var windowBytes = ByteCountArgument(bytes: defaults.windowBytes)
    @Option(
        help: "Lines one endpoint may hold while its breaker is open before input reading stops (default: --window).")
    public var maxHeld: Int?
    @Option(
        help:
            "Append one NDJSON record per HTTP attempt to this file (see docs/contract.md; created 0600, never through a link; a full disk stops the run with exit 74).",
        completion: .file())
    public var attempts: String?
    @Option(
        help: ArgumentHelp("Time in-flight transfers get to finish after SIGINT or SIGTERM.", valueName: "duration"))
    public var grace = DurationArgument(seconds: defaults.grace)
    @Option(
        help: "CA certificates file for https endpoints (default: $CURL_CA_BUNDLE, $SSL_CERT_FILE, then the system's).",
        completion: .file())
    public var cacert: String?
    @Option(
        help:
            "Client certificate (PEM) presented to the --url endpoint when it asks for one (mutual TLS); checked with its key at start-up (exit 2).",
        completion: .file())
    public var cert: String?
    @Option(
        help:
            "Private key (PEM) of --cert, when it is not in the same file; it must match --cert, and one readable by others gets a warning.",
        completion: .file())
    public var key: String?
    @Option(
        help: ArgumentHelp(
            "Environment variable holding the passphrase of an encrypted --key; without it such a key is refused at start-up (lt-send never prompts).",
            valueName: "variable"))
    public var keyPasswordEnv: String?
    @Flag(help: "Allow plain http endpoints (for test receivers).")
    public var allowHttp = false
    @Flag(help: "Allow destinations on loopback, private, link-local and reserved addresses.")
    public var allowPrivate = false
    @Option(
        help: ArgumentHelp(
            "Allow this network (such as 10.20.0.0/16) although it is private; may be repeated.",
            valueName: "network"))
    public var allowAddress: [AddressGuard.Network] = []
    @Flag(
        help:
            "Print each request (method, url, headers with secrets masked, body) as a JSON line instead of sending it.")
    public var dryRun = false
    @Flag(
        help: ArgumentHelp(
            "Corrections: a line whose id the journal has delivered to the same destination, and whose learning "
                + "time changed by at least MIN seconds since (--resend-changed=MIN; default 60), is sent again "
                + "as a revision under a new webhook id, marked so that partners can upsert. Needs --journal. "
                + "Without it such a line is skipped."))
    public var resendChanged = false
    @Option(name: .customLong("resend-changed-min"), help: .hidden)
    public var resendChangedMinimum: Int64?

    public init() {}

    public func validate() throws {
        if pruneDelivered && (journal == nil || deadLetter == nil) {
            throw ValidationError(
                "--prune-delivered needs --journal (what was delivered) and --dead-letter (the file to prune)")
        }
        if resendChanged && journal == nil {
            throw ValidationError("--resend-changed needs --journal, which holds what was delivered before")
        }
        if let m = resendChangedMinimum, m < 0 || !resendChanged {
            throw ValidationError("--resend-changed=MIN takes a whole number of seconds, 0 or more")
        }
        if (url == nil) == (integrations == nil) {
            throw ValidationError("give exactly one of --url and --integrations")
        }
        if url == nil && (!header.isEmpty || bearerEnv != nil) {
            throw ValidationError(
                "--header and --bearer-env go with --url; the integrations file sets headers and auth")
        }
        if bearerEnv != nil, let h = header.first(where: { $0.name.lowercased() == "authorization" }) {
            throw ValidationError("--header \(h.name) and --bearer-env both set Authorization; give one")
        }
        if let retries, retries < 0 || retries > 20 { throw ValidationError("--retries must be from 0 to 20") }
        if let window, window < 1 || window > 1_000_000 { throw ValidationError("--window must be from 1 to 1000000") }
        if let maxHeld, maxHeld < 1 { throw ValidationError("--max-held must be at least 1") }
        if concurrency < 1 || concurrency > 1024 { throw ValidationError("--concurrency must be from 1 to 1024") }
        if let perHost, perHost < 1 { throw ValidationError("--per-host must be at least 1") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a positive number of requests per second") }
        if breakerFailures < 0 { throw ValidationError("--breaker-failures must be 0 or more") }
        if cert != nil && url == nil {
            throw ValidationError("--cert is for --url; set tls in the integrations file instead")
        }
        if (key != nil || keyPasswordEnv != nil) && cert == nil {
            throw ValidationError("--key and --key-password-env need --cert")
        }
    }

    /// The core's settings from these options; reading the integrations file may throw a configuration error.
    public func sendOptions() throws -> SendOptions {
        var options = SendOptions()
        options.url = url?.url
        options.urlHeaders = header.map(\.header)
        options.urlBearerEnvironment = bearerEnv
        options.integrations = try integrations.map { try IntegrationsConfig.load(path: $0) }
        options.deadLetterPath = deadLetter
        options.pruneDelivered = pruneDelivered
        options.journalPath = journal
        options.allowHTTP = allowHttp
        options.allowPrivate = allowPrivate
        options.transport.caCertPath = cacert
        options.transport.inheritCertificateAuthorities(from: ProcessInfo.processInfo.environment)
        options.clientCertificate = cert.map { ClientCertificate(certificatePath: $0, keyPath: key) }
        options.keyPassword = keyPasswordEnv.map { SecretReference.environment($0) }
        options.transport.allowedNetworks = allowAddress
        options.timeout = timeout.seconds
        options.retry.apply(retryPreset)
        if let retrySchedule {
            options.retry.schedule = retrySchedule.seconds
            options.retry.retries = max(3, options.retry.schedule.count)
        }
        if let retries { options.retry.retries = retries }
        options.attemptsPath = attempts
        options.retry.maxRetryAfter = maxRetryAfter.seconds
        options.maxElapsed = maxElapsed?.seconds
        options.concurrency = concurrency
        options.perHost = perHost ?? concurrency
        options.window = window ?? max(256, concurrency * 8)
        options.windowBytes = windowBytes.bytes
        options.maxHeld = maxHeld
        options.rate = rate
        options.breakerFailures = breakerFailures
        options.breakerCooldown = breakerCooldown.seconds
        options.grace = grace.seconds
        options.dryRun = dryRun
        if resendChanged { options.resendChanged = resendChangedMinimum ?? SendOptions.defaultResendMinimum }
        return options
    }
}

/// A `NAME:VALUE` request header from `-H`, checked as the parser reads it by the same
/// validator and reserved names as the integrations file's headers
/// (``HTTPHeader/user(name:value:hasAuth:)``).
public struct HeaderArgument: ExpressibleByArgument, Sendable, Equatable {
    public let header: HTTPHeader
    public var name: String { header.name.text }

    public init?(argument: String) {
        guard let colon = argument.firstIndex(of: ":") else { return nil }
        let name = String(argument[..<colon]).trimmed(" \t")
        let value = String(argument[argument.index(after: colon)...]).trimmed(" \t")
        // Authorization is checked against --bearer-env in SendArguments.validate().
        guard let h = try? HTTPHeader.user(name: name, value: value, hasAuth: false) else { return nil }
        header = h
    }
}
