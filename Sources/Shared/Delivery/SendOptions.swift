/// lt-send's settings, from its command line.
public struct SendOptions: Sendable {
    /// Send every line here instead of routing by integration.
    public var url: HTTPURL?
    /// With `url`: further request headers (`-H`), checked by ``HTTPHeader/user(name:value:hasAuth:)``.
    public var urlHeaders: [HTTPHeader] = []
    /// With `url`: the environment variable holding a bearer token (`--bearer-env`).
    public var urlBearerEnvironment: String?
    public var integrations: IntegrationsConfig?
    public var allowHTTP = false
    public var deadLetterPath: String?
    /// At the end of the run, drop from the dead-letter file the lines the journal shows as delivered.
    public var pruneDelivered = false
    public var journalPath: String?
    /// Append one record per HTTP attempt to this file (`--attempts`).
    public var attemptsPath: String?
    public var retry = RetryPolicy()
    /// Seconds a line may spend from its first attempt to its last; nil for no limit.
    public var maxElapsed: Double?
    /// Seconds one attempt may take, with `url`.
    public var timeout = 30.0
    public var transport = TransportSettings()
    /// Client certificate and key files for `url` (`--cert`, `--key`), and where the key's passphrase is.
    public var clientCertificate: ClientCertificate?
    public var keyPassword: SecretReference?
    /// Transfers in flight at once, and on one host (`scheme://host:port`).
    public var concurrency = 16
    public var perHost = 16
    /// Lines read but not final at once, not counting those waiting for a retry: reading stops
    /// while this many are queued, held or in flight (memory stays bounded).
    public var window = 256
    /// Lines waiting for a retry at once, beyond the `window` (and never fewer than it): reading
    /// stops at this many too. Why apart from `window`: a failed line waits 30 s or more for its
    /// retry, so counting it in the window let a 30 %-flaky partner fill it and stop reading (13
    /// lines/s of a 56 bound). Their bytes count toward `windowBytes`; this count bounds the
    /// bookkeeping of tiny lines, about 1.6 KiB a line: under 16 MiB alone, 30-byte lines made
    /// 528,000 waiting lines and 882 MB of RSS; with 16,384 lines, 50 MB.
    public var maxRetrying = 16_384
    /// Bytes of those lines (as read, plus the payload sent) at once: reading stops at this bound
    /// too, so memory stays bounded whatever the line sizes. A line larger than the bound is still
    /// read when no other line is under way.
    /// Why 16 MiB: with 256 lines of 1 MiB, 32 MiB gave a peak RSS of 151 MB and 16 MiB 126 MB (debug
    /// build), under the ~128 MB lt-send aims at; libcurl, the reader and the allocator hold the rest.
    public var windowBytes = 16 << 20
    /// Bytes of results waiting for standard output before reading stops: while a slow reader
    /// pauses, transfers in flight go on and their results queue up to this bound.
    public var maxQueuedResultBytes = 256 << 10
    /// Lines one endpoint may hold while its breaker is open before reading stops; nil for `window`.
    public var maxHeld: Int?
    /// Requests per second over all endpoints, paced evenly; nil for no limit.
    public var rate: Double?
    /// Attempts in a row that got no answer (refused, reset, DNS, TLS, timeout) and open a breaker; 0 turns breakers off.
    public var breakerFailures = 5
    /// Failed answers (5xx, 408) open a breaker by this rule only: 50 % of at least 50 attempts in 30 s.
    public var breakerRate = CircuitBreaker.RateRule()
    public var breakerCooldown = 30.0
    /// Seconds in-flight transfers get to finish after SIGINT or SIGTERM.
    public var grace = 5.0
    /// Print each request instead of sending it.
    public var dryRun = false
    /// `--resend-changed[=MIN]`: send a line delivered before as a correction when its learning time
    /// changed by at least this many seconds (needs the journal); nil: such a line stays skipped.
    public var resendChanged: Int64?
    /// MIN when `--resend-changed` is given alone: a minute, below what partners round to (0.01 h is 36 s).
    public static let defaultResendMinimum: Int64 = 60

    public init() {}

    public var allowPrivate: Bool {
        get { transport.allowPrivate }
        set { transport.allowPrivate = newValue }
    }
}
