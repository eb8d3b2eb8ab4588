import CCurl
import CLibPQ
import CSQLite

/// The project's version, printed by `--version` and sent in User-Agent headers.
public enum LTVersion {
    public static let current = "0.1.0"

    /// What `--version` prints: the tool's name, the project's version and the commit it was built
    /// from (as `lt-query 0.1.0 (commit 0f5e6e7)`, so a pasted report says which tool and which
    /// build it came from; `commit` is generated at build time by scripts/commit-stamp.sh), then the
    /// C libraries this process runs with (which may differ from those it was built against). CURLVERSION_FIRST: the version
    /// string is in every layout, and CURLVERSION_NOW is a macro Swift cannot import.
    public static func report(tool: String) -> String {
        """
        \(tool) \(current) (commit \(commit))
        libcurl \(String(cString: curl_version_info(CURLVERSION_FIRST).pointee.version))
        libpq \(libpq)
        SQLite \(String(cString: sqlite3_libversion()))
        """
    }

    /// `PQlibVersion` as people write it: 150013 is 15.13, 90624 (before PostgreSQL 10) is 9.6.24.
    private static var libpq: String {
        let v = Int(PQlibVersion())
        return v >= 100_000 ? "\(v / 10_000).\(v % 10_000)" : "\(v / 10_000).\(v / 100 % 100).\(v % 100)"
    }
}
