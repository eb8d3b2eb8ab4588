import ArgumentParser
import Shared

/// lt-query's warehouse options: where it is, which table and columns, how long a query may run.
/// Defaults are the core's (`TableSpec()`), declared once there.
public struct WarehouseArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Warehouse address: sqlite:PATH, postgres://USER@HOST:PORT/DB or a libpq conninfo. Default: "
                + "$LT_WAREHOUSE. Passwords belong in PGPASSWORD or ~/.pgpass, not here."))
    public var warehouse: String?

    /// The table and its columns, shared with lt-rollup's `--into`.
    @OptionGroup public var columns: TableArguments

    public init() {}

    /// The table and columns, checked to be plain SQL identifiers (a configuration error otherwise);
    /// `latestDate` makes statements read each key's latest day too (`--last-updated rows`).
    public func tableSpec(latestDate: Bool = false) throws -> TableSpec {
        try columns.tableSpec(latestDate: latestDate)
    }

    /// True when a warehouse is named, by `--warehouse` or `$LT_WAREHOUSE`.
    public func isGiven(environment: [String: String]) -> Bool {
        !(warehouse ?? environment[WarehouseAddress.environmentVariable] ?? "").isEmpty
    }

    /// The warehouse address from `--warehouse` or `$LT_WAREHOUSE`, checked to be of a known kind.
    public func address(environment: [String: String]) throws -> String {
        let address = try WarehouseAddress.resolve(option: warehouse, environment: environment)
        _ = try WarehouseAddress.kind(of: address)
        return address
    }
}
