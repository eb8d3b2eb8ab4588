/// How learning time is written into payloads.
public struct EnrichOptions: Sendable {
    /// How the value is written.
    public enum Format: String, Sendable, CaseIterable {
        /// `{"total_seconds": …, "total_hours": …, "last_updated": …}`
        case object
        /// The integer number of seconds alone.
        case seconds
    }

    /// Where in the payload the value goes, as member names from the top.
    public var field: [String] = ["learning_time"]
    public var format: Format = .object
    /// Turn lines whose lookup was `unavailable` into error records instead of sending them without learning time.
    public var requireLearningTime = false
    /// Write bare payloads instead of envelopes.
    public var unwrap = false

    public init() {}

    /// Parses a dotted path such as `completion.learning_time`.
    public static func parseField(_ text: String) throws -> [String] {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError(
                "--field \(text) is not a dotted path of member names",
                hint: "for example --field completion.learning_time")
        }
        return parts
    }
}
