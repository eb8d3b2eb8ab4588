/// What a found total's `last_updated` says (`lt-query --last-updated`).
///
/// The specification defines `last_updated` as when learning time was last calculated (the
/// warehouse's batch date); its sample code writes the day the value was read, which stays the
/// default. `rows` lets a partner tell a stale total from a fresh one.
public enum LastUpdatedRule: String, Sendable, CaseIterable {
    /// The UTC day the total was read from the warehouse (kept with the value in the cache).
    case read
    /// The day after the latest DATE among the rows summed: the daily rollup that wrote that row
    /// ran at the end of that day at the earliest. A key without rows (`not_found`) says the day
    /// it was read.
    case rows
}
