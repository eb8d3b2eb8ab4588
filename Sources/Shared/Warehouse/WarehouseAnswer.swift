/// A batch's answer: the total of each key with rows, and the keys whose rows do not make a
/// total (over 64 bits, not a whole number), each with why. Keys in neither have no rows.
public struct WarehouseAnswer: Sendable {
    public var totals: [LookupKey: Int64]
    public var rejected: [LookupKey: String]
    /// The latest day among each key's rows, as the warehouse wrote it (`2026-01-10`, perhaps with
    /// a time after it); only when the table spec asks for it (``TableSpec/readsLatestDate``).
    public var latestDates: [LookupKey: String]

    public init(
        totals: [LookupKey: Int64] = [:], rejected: [LookupKey: String] = [:], latestDates: [LookupKey: String] = [:]
    ) {
        self.totals = totals
        self.rejected = rejected
        self.latestDates = latestDates
    }
}
