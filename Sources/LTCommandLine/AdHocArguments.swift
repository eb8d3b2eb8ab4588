import ArgumentParser
import Shared

/// lt-query's ad-hoc lookup of one key given on the command line, and `--explain`.
public struct AdHocArguments: ParsableArguments {
    @Option(help: "Ad-hoc lookup: the learner's user id.") public var user: Int64?
    @Option(help: "Ad-hoc lookup: the course run key.") public var course: String?
    @Option(help: "Ad-hoc lookup: the enterprise customer UUID.") public var enterprise: String?
    @Flag(help: "Print the SQL and bound values that would run for the ad-hoc key, without running it.") public
        var explain = false

    public init() {}

    public func validate() throws {
        let given = [user != nil, course != nil, enterprise != nil]
        if given.contains(true) && given.contains(false) {
            throw ValidationError("--user, --course and --enterprise go together")
        }
        if explain && user == nil { throw ValidationError("--explain needs --user, --course and --enterprise") }
    }

    /// The key given, validated; nil when none was.
    public func key() throws -> LookupKey? {
        guard let user, let course, let enterprise else { return nil }
        return try LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "command-line")
    }

    /// Looks `key` up in the warehouse (or, with `--explain`, prints its query) and writes the
    /// answer to `output`, with what `cache` holds beside it.
    public func run(
        _ key: LookupKey, warehouse: Warehouse, cache: StoreGate?, options: LookupOptions,
        diagnostics: Diagnostics, metrics: Metrics, output: OutputWriter
    ) throws {
        if explain {
            try output.write(warehouse.explain([key]))
        } else {
            let resolver = LookupResolver(
                warehouse: warehouse, store: cache, options: options, diagnostics: diagnostics, metrics: metrics)
            try output.write(try AdHocLookup(resolver: resolver, cache: cache).record(for: key))
            try output.endLine()
        }
        try output.flush()
    }
}
