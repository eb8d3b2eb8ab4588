/// Counts for lt-enrich's `--stats` summary.
public struct EnrichStats {
    public var lines = 0
    public var enriched = 0
    public var omitted: [String: Int] = [:]
    public var errors = 0

    public init() {}

    public func summary() -> String {
        let reasons = omitted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return
            "lines: \(lines)  errors: \(errors)\nenriched: \(enriched)  omitted: \(reasons.isEmpty ? "none" : reasons)"
    }
}
