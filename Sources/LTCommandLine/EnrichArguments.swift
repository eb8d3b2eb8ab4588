import ArgumentParser
import Shared

/// lt-enrich's own options; ``enrichOptions()`` turns them into the core's settings, whose defaults
/// (`EnrichOptions()`) are declared once there.
public struct EnrichArguments: ParsableArguments {
    private static let defaults = EnrichOptions()

    @Option(
        help: ArgumentHelp(
            "Where the value goes in the payload, as a dotted path; missing parent objects are created "
                + "(upstream uses completion.learning_time)."))
    public var field = defaults.field.joined(separator: ".")
    @Option(
        help: "What is written: object ({total_seconds, total_hours, last_updated}) or seconds (the integer alone).",
        completion: .list(EnrichOptions.Format.allCases.map(\.rawValue)))
    public var format = defaults.format
    @Flag(
        help: "Turn lines whose lookup is unavailable into error records instead of sending them without learning time."
    )
    public var requireLearningTime = defaults.requireLearningTime
    @Flag(help: "Write bare payloads instead of envelopes (error records still pass through as they are).")
    public var unwrap = defaults.unwrap

    public init() {}

    public func validate() throws {
        do { _ = try EnrichOptions.parseField(field) } catch let e as LTError { throw ValidationError(e.description) }
    }

    public func enrichOptions() throws -> EnrichOptions {
        var options = EnrichOptions()
        options.field = try EnrichOptions.parseField(field)
        options.format = format
        options.requireLearningTime = requireLearningTime
        options.unwrap = unwrap
        return options
    }
}
