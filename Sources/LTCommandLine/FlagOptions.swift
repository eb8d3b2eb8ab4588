import ArgumentParser
import Shared

/// The options that set the enrichment flag, shared by lt-query and lt-enrich (`@OptionGroup`).
public struct FlagOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Enrichment flag for every line, on or off; overrides $\(EnrichmentFlag.rolloutFileVariable) and $\(EnrichmentFlag.environmentVariable).",
            valueName: "on|off"), completion: .list(["on", "off"]))
    public var flag: String?

    @Option(
        help: ArgumentHelp(
            "Rollout file (JSON: enabled, percent, enterprises_in/out, integrations_in/out), re-read when it changes; overrides $\(EnrichmentFlag.rolloutFileVariable). See docs/rollout.md.",
            valueName: "file"), completion: .file())
    public var rollout: String?

    public init() {}

    public func validate() throws {
        if let flag, EnrichmentFlag.parse(flag) == nil {
            throw ValidationError("--flag \(flag) is not on or off")
        }
        if flag != nil && rollout != nil {
            throw ValidationError("--flag and --rollout cannot be combined: --flag decides every line")
        }
    }

    /// The flag these options and the environment give; a missing or invalid rollout file throws (exit status 2).
    public func resolve(environment: [String: String], diagnostics: Diagnostics?) throws -> EnrichmentFlag {
        try EnrichmentFlag.resolve(option: flag, rollout: rollout, environment: environment, diagnostics: diagnostics)
    }
}
