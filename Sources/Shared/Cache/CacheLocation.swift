/// Where the lookup cache lives: `--cache-dir`, else `LT_CACHE_DIR`, else `$XDG_CACHE_HOME/lt`, else `~/.cache/lt`.
public enum CacheLocation {
    public static func directory(option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let d = environment["LT_CACHE_DIR"], !d.isEmpty { return d }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty { return x + "/lt" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return home + "/.cache/lt"
    }
}
