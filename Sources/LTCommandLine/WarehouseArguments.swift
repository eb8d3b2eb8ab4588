import ArgumentParser
import Shared

/// lt-query's warehouse options: where it is, which table and columns, how long a query may run.
/// Defaults are the core's (`TableSpec()`), declared once there.
public struct WarehouseArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Warehouse address: sqlite:PATH, postgres://USER@HOST:PORT/DB, a libpq conninfo, or "
                + "snowflake://ACCOUNT/DB/SCHEMA?user=…&warehouse=… (docs/snowflake.md). Default: $LT_WAREHOUSE. "
                + "Passwords belong in PGPASSWORD or ~/.pgpass (one here gets a warning: ps shows it), the Snowflake key in SNOWFLAKE_PRIVATE_KEY_PATH, not here."
        ))
    public var warehouse: String?

    /// The table and its columns, shared with lt-rollup's `--into`.
    @OptionGroup public var columns: TableArguments

    public init() {}

    /// The table and columns, checked to be plain SQL identifiers (a configuration error otherwise);
    /// `latestDate` makes statements read each key's latest day too (`--last-updated rows`).
    public func tableSpec(latestDate: Bool = false) throws -> TableSpec {
        try columns.tableSpec(latestDate: latestDate)
    }

    /// The warning to give when `--warehouse` (not `$LT_WAREHOUSE`) holds a password.
    public var passwordWarning: String? {
        warehouse.flatMap(WarehouseAddress.commandLinePasswordWarning)
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
