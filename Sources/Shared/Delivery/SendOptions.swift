/// lt-send's settings, from its command line.
public struct SendOptions: Sendable {
    /// Send every line here instead of routing by integration.
    public var url: String?
    public var integrations: IntegrationsConfig?
    public var allowHTTP = false
    public var allowPrivate = false
    public var deadLetterPath: String?
    public var retry = RetryPolicy()
    public var timeout = 30.0
    public var caCertPath: String?
    public var userAgent = "lt-send/\(LTVersion.current)"

    public init() {}
}

/// The project's version, printed by `--version` and sent in User-Agent headers.
public enum LTVersion {
    public static let current = "0.1.0"
}
