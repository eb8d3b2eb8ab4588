import ArgumentParser
import Shared

/// The LEARNING_TIME table's name and columns, as lt-query reads them and lt-rollup writes them.
/// Defaults are the core's (`TableSpec()`), declared once there.
public struct TableArguments: ParsableArguments {
    private static let defaults = TableSpec()

    @Option(help: "Table holding daily learning time.") public var table = defaults.table
    @Option(help: "Column with the learner's user id.") public var userColumn = defaults.userColumn
    @Option(help: "Column with the course run key (the deployed upstream table calls it COURSERUN_KEY).") public
        var courseColumn = defaults.courseColumn
    @Option(help: "Column with the enterprise customer UUID.") public var enterpriseColumn = defaults.enterpriseColumn
    @Option(help: "Column with the day's learning time in seconds.") public var secondsColumn = defaults.secondsColumn
    @Option(help: "Column with the row's day (lt-query reads it only with --last-updated rows).") public
        var dateColumn =
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
}
