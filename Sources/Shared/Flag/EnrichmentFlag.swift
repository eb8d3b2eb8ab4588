/// Decides, line by line, whether learning-time enrichment is on.
///
/// The specification's feature flag `ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT` is off by default.
/// `--flag on|off` overrides the environment variable. lt-query and lt-enrich share this evaluator,
/// so a line lt-enrich would not enrich is never looked up.
public final class EnrichmentFlag {
    public static let environmentVariable = "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT"

    /// Where the setting came from, for the message that says enrichment is off.
    public let origin: String
    private let enabled: Bool

    public init(enabled: Bool, origin: String) {
        self.enabled = enabled
        self.origin = origin
    }

    /// The flag from `--flag` (when given), else the environment, else off.
    public static func resolve(option: String?, environment: [String: String]) throws -> EnrichmentFlag {
        if let option {
            guard let v = parse(option) else {
                throw ConfigError("--flag \(option) is not on or off", hint: "use --flag on or --flag off")
            }
            return EnrichmentFlag(enabled: v, origin: "--flag \(option)")
        }
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let v = parse(text) else {
                throw ConfigError("\(environmentVariable)=\(text) is not a boolean", hint: "set it to true or false (also 1/0, on/off, yes/no)")
            }
            return EnrichmentFlag(enabled: v, origin: "\(environmentVariable)=\(text)")
        }
        return EnrichmentFlag(enabled: false, origin: "\(environmentVariable) is not set (default off)")
    }

    static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "on", "yes", "enabled": true
        case "0", "false", "off", "no", "disabled": false
        default: nil
        }
    }

    /// Whether a line of this enterprise and integration gets learning time.
    public func isEnabled(enterprise: String?, integration: String?) -> Bool {
        enabled
    }

    /// True when no line can be enabled, for the one-time notice on stderr.
    public var isOffForAll: Bool { !enabled }
}
