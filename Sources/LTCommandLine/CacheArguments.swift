import ArgumentParser
import Shared

/// lt-query's cache options, and the maintenance commands that read no input.
public struct CacheArguments: ParsableArguments {
    /// What `--cache-purge` deletes.
    public enum Purge: String, ExpressibleByArgument, CaseIterable, Sendable {
        case expired, all
    }

    private static let defaults = ExpiryPolicy()

    @Option(
        help: ArgumentHelp(
            "Where lookups are cached: file:DIR (one SQLite file, the default) or memcached://HOST:PORT[,HOST:PORT…]. "
                + "Default: $LT_CACHE, else file:$LT_CACHE_DIR, else $XDG_CACHE_HOME/lt, else ~/.cache/lt.",
            valueName: "address"))
    public var cache: String?
    @Option(help: "The file cache's folder; the same as --cache file:DIR.", completion: .directory)
    public var cacheDir: String?
    @Flag(help: "Do not read or write the cache.") public var noCache = false
    @Option(help: ArgumentHelp("How long a found value stays cached.", valueName: "duration"))
    public var ttl = DurationArgument(seconds: defaults.ttl)
    @Option(help: ArgumentHelp("How long a 'no data' result stays cached.", valueName: "duration"))
    public var negativeTtl = DurationArgument(seconds: defaults.negativeTTL)
    @Flag(help: "Let an ad-hoc lookup (--user/--course/--enterprise) write the warehouse's answer to the cache.")
    public var cacheWrite = false
    @Option(
        help: ArgumentHelp(
            "Print what the cache holds for KEY (learning_time:USER:COURSE:ENTERPRISE) and exit; repeatable. "
                + "With a warehouse (--warehouse or $LT_WAREHOUSE), that warehouse's entry; without, every warehouse's.",
            valueName: "key"))
    public var cacheShow: [String] = []
    @Flag(help: "Print the cache's entry counts and size and exit.") public var cacheStats = false
    @Option(
        help: ArgumentHelp(
            "Delete expired entries, or all entries, from the cache and exit.", valueName: "expired|all"),
        completion: .list(Purge.allCases.map(\.rawValue)))
    public var cachePurge: Purge?

    public init() {}

    /// True when a maintenance command was asked for instead of lookups.
    public var isMaintenance: Bool { !cacheShow.isEmpty || cacheStats || cachePurge != nil }

    public func validate() throws {
        let maintenance = [!cacheShow.isEmpty, cacheStats, cachePurge != nil].filter { $0 }.count
        if maintenance > 1 {
            throw ValidationError("use one of --cache-show, --cache-stats and --cache-purge at a time")
        }
        if cache != nil && cacheDir != nil { throw ValidationError("use --cache or --cache-dir, not both") }
        if noCache && cacheWrite { throw ValidationError("--cache-write does not go with --no-cache") }
    }

    /// The expiry of entries these options ask for.
    public var expiry: ExpiryPolicy { ExpiryPolicy(ttl: ttl.seconds, negativeTTL: negativeTtl.seconds) }

    /// The store these options name, or nil with `--no-cache`.
    public func store(environment: [String: String], diagnostics: Diagnostics) throws -> (any LookupStore)? {
        guard !noCache else { return nil }
        let address =
            try cacheDir.map { CacheAddress.file(directory: $0) }
            ?? CacheAddress.resolve(option: cache, environment: environment)
        return address.open(diagnostics: diagnostics)
    }

    /// Runs the maintenance command asked for, writing its JSON lines to `output`. `--cache-show`
    /// shows `namespace`'s entries, or every namespace's when it is nil.
    public func runMaintenance(on store: any LookupStore, namespace: CacheNamespace?, output: OutputWriter) throws {
        let maintenance = CacheMaintenance(store: store, namespace: namespace)
        let now = Timestamps.now()
        if cacheStats { try output.write(try maintenance.stats(now: now)) }
        if let cachePurge { try output.write(try maintenance.purge(all: cachePurge == .all, now: now)) }
        if !cacheShow.isEmpty {
            try output.write(try maintenance.show(try cacheShow.map(CacheMaintenance.key), now: now))
        }
        try output.flush()
    }
}
