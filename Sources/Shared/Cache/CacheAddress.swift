/// Where lookups are cached: `--cache ADDRESS`, else `LT_CACHE`, else the file cache's default
/// folder (`LT_CACHE_DIR`, `$XDG_CACHE_HOME/lt`, `~/.cache/lt`).
///
/// - `file:DIR` (or a plain folder path, as `--cache-dir` took): ``FileStore``.
/// - `memcached://HOST:PORT[,HOST:PORT…]`: ``MemcachedStore``.
///
/// A new store is one more case here.
public enum CacheAddress: Sendable, Equatable {
    case file(directory: String)
    case memcached(servers: [MemcachedServerAddress])

    public static let environmentVariable = "LT_CACHE"

    /// The address from the option, else `LT_CACHE`, else the default folder.
    public static func resolve(option: String?, environment: [String: String]) throws -> CacheAddress {
        if let option, !option.isEmpty { return try parse(option) }
        if let env = environment[environmentVariable], !env.isEmpty { return try parse(env) }
        return .file(directory: FileStore.defaultDirectory(environment: environment))
    }

    public static func parse(_ text: String) throws -> CacheAddress {
        if text.hasPrefix("memcached://") {
            let list = text.dropFirst("memcached://".count).split(separator: ",", omittingEmptySubsequences: false)
            return .memcached(servers: try list.map { try MemcachedServerAddress(String($0)) })
        }
        if let dir = WarehouseAddress.localPath(in: text, scheme: "file:") {
            guard !dir.isEmpty else {
                throw ConfigError("--cache file: needs a folder", hint: "for example --cache file:$HOME/.cache/lt")
            }
            return .file(directory: dir)
        }
        if text.contains("://") {
            throw ConfigError(
                "--cache \"\(text.prefix(80))\" is not a cache address",
                hint: "use file:DIR or memcached://HOST:PORT[,HOST:PORT…]")
        }
        return .file(directory: text)
    }

    /// Opens the store; a file cache that cannot be used says so when first used, not here.
    public func open(diagnostics: Diagnostics?) -> any LookupStore {
        switch self {
        case .file(let directory): return FileStore(directory: directory, diagnostics: diagnostics)
        case .memcached(let servers): return MemcachedStore(servers: servers, diagnostics: diagnostics)
        }
    }
}
