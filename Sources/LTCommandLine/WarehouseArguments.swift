import ArgumentParser
import Shared

/// lt-query's warehouse options: where it is, which table and columns, how long a query may run.
/// Defaults are the core's (`TableSpec()`), declared once there.
public struct WarehouseArguments: ParsableArguments {
    private static let defaults = TableSpec()

    @Option(
        help: ArgumentHelp(
            "Warehouse address: sqlite:PATH, postgres://USER@HOST:PORT/DB, a libpq conninfo, or "
                + "snowflake://ACCOUNT/DB/SCHEMA?user=…&warehouse=… (docs/snowflake.md). Default: $LT_WAREHOUSE. "
                + "Passwords belong in PGPASSWORD or ~/.pgpass, the Snowflake key in SNOWFLAKE_PRIVATE_KEY_PATH, not here."))
    public var warehouse: String?

    @Option(help: "Table holding daily learning time.") public var table = defaults.table
    @Option(help: "Column with the learner's user id.") public var userColumn = defaults.userColumn
    @Option(help: "Column with the course run key (the deployed upstream table calls it COURSERUN_KEY).") public
        var courseColumn = defaults.courseColumn
    @Option(help: "Column with the enterprise customer UUID.") public var enterpriseColumn = defaults.enterpriseColumn
    @Option(help: "Column with the day's learning time in seconds.") public var secondsColumn = defaults.secondsColumn
    @Option(help: "Column with the row's day; read only with --last-updated rows.") public var dateColumn =
        defaults.dateColumn

    public init() {}

    /// The table and columns, checked to be plain SQL identifiers (a configuration error otherwise);
    /// `latestDate` makes statements read each key's latest day too (`--last-updated rows`).
    public func tableSpec(latestDate: Bool = false) throws -> TableSpec {
        var spec = TableSpec()
        spec.table = table
        spec.userColumn = userColumn
        spec.courseColumn = courseColumn
        spec.enterpriseColumn = enterpriseColumn
        spec.secondsColumn = secondsColumn
        spec.dateColumn = dateColumn
        spec.readsLatestDate = latestDate
        try spec.validate()
        return spec
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
