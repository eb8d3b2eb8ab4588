/// Decides, line by line, whether learning-time enrichment is on.
///
/// The specification's feature flag `ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT` is off by default.
/// One source decides, the first of (docs/rollout.md):
/// 1. `--flag on|off`: every line, for this run;
/// 2. `--rollout FILE`, else 3. `$LT_ROLLOUT_FILE`: the file's rules, re-read when it changes;
/// 4. `$ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT`: every line;
/// 5. off.
///
/// lt-query and lt-enrich share this evaluator, so a line lt-enrich would not enrich is never looked up.
public final class EnrichmentFlag {
    public static let environmentVariable = "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT"
    public static let rolloutFileVariable = "LT_ROLLOUT_FILE"

    /// Where the setting comes from, for messages (`--flag off`, `rollout file /etc/lt/rollout.json`).
    public let origin: String
    /// Where changes of the rollout file, and problems with it, are reported; nil: not reported.
    public var diagnostics: Diagnostics?
    private let file: RolloutFile?
    private var rules: RolloutRules
    private var uniform: RolloutRules.Uniform
    /// The rule every line gets when one setting decides them all (`--flag`, the variable, the
    /// default); nil when rules decide.
    private let fixedRule: FlagRule?

    /// One setting for every line; `rule` names it (`--flag`, the environment variable, the default).
    public convenience init(enabled: Bool, origin: String, rule: FlagRule = .option) {
        self.init(rules: RolloutRules(enabled: enabled), origin: origin, rule: rule)
    }

    /// Fixed rules, never re-read; `rule`, when given, names what decided them for every line.
    public init(rules: RolloutRules, origin: String, rule: FlagRule? = nil) {
        self.rules = rules
        self.uniform = rules.uniform
        self.origin = origin
        self.file = nil
        self.fixedRule = rule
    }

    /// The rules of a rollout file, re-read when it changes.
    public init(file: RolloutFile, origin: String, diagnostics: Diagnostics? = nil) {
        self.file = file
        self.rules = file.rules
        self.uniform = file.rules.uniform
        self.origin = origin
        self.diagnostics = diagnostics
        self.fixedRule = nil
    }

    /// The flag from `--flag` when given, else `$LT_ROLLOUT_FILE`, else the environment variable, else off.
    public static func resolve(option: String?, environment: [String: String]) throws -> EnrichmentFlag {
        try resolve(option: option, rollout: nil, environment: environment)
    }

    /// The flag from the first source that is set (see the type's documentation). A rollout file that
    /// is missing or invalid, or a value that is not a boolean, is a ``ConfigError`` (exit status 2).
    public static func resolve(
        option: String?, rollout: String?, environment: [String: String],
        diagnostics: Diagnostics? = nil
    ) throws -> EnrichmentFlag {
        if let option {
            guard rollout == nil else {
                throw ConfigError(
                    "--flag and --rollout cannot be combined", hint: "--flag decides every line; drop one of them")
            }
            guard let v = parse(option) else {
                throw ConfigError("--flag \(option) is not on or off", hint: "use --flag on or --flag off")
            }
            return EnrichmentFlag(enabled: v, origin: "--flag \(option)")
        }
        let envFile = environment[rolloutFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let path = rollout ?? envFile {
            let origin = rollout != nil ? "rollout file \(path)" : "rollout file \(path) from $\(rolloutFileVariable)"
            let flag = EnrichmentFlag(file: try RolloutFile(path: path), origin: origin, diagnostics: diagnostics)
            if let text = environment[environmentVariable], !text.isEmpty {
                diagnostics?.info("\(environmentVariable)=\(text) is ignored: the \(origin) decides")
            }
            return flag
        }
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let v = parse(text) else {
                throw ConfigError(
                    "\(environmentVariable)=\(text) is not a boolean",
                    hint: "set it to true or false (also 1/0, on/off, yes/no)")
            }
            return EnrichmentFlag(enabled: v, origin: "\(environmentVariable)=\(text)", rule: .environment)
        }
        return EnrichmentFlag(enabled: false, origin: "\(environmentVariable) is not set (default off)", rule: .unset)
    }

    public static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "on", "yes", "enabled": true
        case "0", "false", "off", "no", "disabled": false
        default: nil
        }
    }

    /// Whether a line of this enterprise and integration gets learning time.
    public func isEnabled(enterprise: String?, integration: String?) -> Bool {
        refresh()
        switch uniform {
        case .allOn: return true
        case .allOff: return false
        case .perLine: return rules.includes(enterprise: enterprise, integration: integration)
        }
    }

    /// Whether this line gets learning time, and the rule that decided (`enrichment.rule`).
    public func decide(_ envelope: Envelope) -> (on: Bool, rule: FlagRule) {
        refresh()
        if let fixedRule { return (uniform != .allOff, fixedRule) }
        switch uniform {
        case .allOn: return (true, .percent)
        case .allOff: return (false, rules.enabled ? .percent : .enabled)
        case .perLine: return rules.decide(enterprise: envelope.enterpriseID, integration: envelope.integration)
        }
    }

    /// True when no line can be enabled, for the one-time notice on stderr.
    public var isOffForAll: Bool { uniform == .allOff }

    /// Re-reads the rollout file if it changed (cheap: at most one `stat` every 200 ms), and reports the change.
    public func refresh() {
        guard let file else { return }
        switch file.refresh() {
        case .unchanged:
            return
        case .reloaded:
            rules = file.rules
            uniform = rules.uniform
            diagnostics?.warning(
                uniform == .allOff
                    ? "enrichment is now off (\(origin) changed); payloads pass through without learning time"
                    : "\(origin) changed: enrichment is now \(rules.summary)")
        case .failed(let e):
            diagnostics?.warning(e.description)
        }
    }
}
