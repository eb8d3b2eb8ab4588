import ArgumentParser
import Shared

/// lt-query's cache options, and the maintenance commands that read no input.
public struct CacheArguments: ParsableArguments {
    /// What `--cache-purge` deletes.
    public enum Purge: String, ExpressibleByArgument, CaseIterable, Sendable {
        case expired, all
    }

    @Option(
        help: "Cache folder. Default: $LT_CACHE_DIR, else $XDG_CACHE_HOME/lt, else ~/.cache/lt.",
        completion: .directory)
    public var cacheDir: String?
    @Flag(help: "Do not read or write the cache.") public var noCache = false
    @Option(help: ArgumentHelp("How long a found value stays cached.", valueName: "duration"))
    public var ttl = DurationArgument(seconds: 3600)
    @Option(help: ArgumentHelp("How long a 'no data' result stays cached.", valueName: "duration"))
    public var negativeTtl = DurationArgument(seconds: 3600)
    @Option(
        help: ArgumentHelp(
            "Print what the cache holds for KEY (learning_time:USER:COURSE:ENTERPRISE) and exit; repeatable.",
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
    }

    /// The cache these options name, or nil with `--no-cache`.
    public func open(environment: [String: String], diagnostics: Diagnostics) -> LookupCache? {
        guard !noCache else { return nil }
        return LookupCache(
            directory: CacheLocation.directory(option: cacheDir, environment: environment),
            ttl: ttl.seconds, negativeTTL: negativeTtl.seconds, diagnostics: diagnostics)
    }

    /// Runs the maintenance command asked for, writing its JSON lines to `output`.
    public func runMaintenance(on cache: LookupCache, output: OutputWriter) throws {
        let maintenance = CacheMaintenance(cache: cache)
        let now = Timestamps.now()
        if cacheStats { try output.write(try maintenance.stats(now: now)) }
        if let cachePurge { try output.write(try maintenance.purge(all: cachePurge == .all, now: now)) }
        if !cacheShow.isEmpty { try output.write(maintenance.show(try cacheShow.map(CacheMaintenance.key), now: now)) }
        try output.flush()
    }
}
