import CLibPQ
import Crypto
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Whose answers a cache entry holds: the warehouse's identity (kind, host, database, table and
/// columns, never a user or a password), so that two warehouses never answer for each other
/// from one cache.
///
/// ``identity`` is the readable form `--cache-show` prints; ``id``, the first 16 hexadecimal
/// digits of its SHA-256, is what the stores key entries by.
public struct CacheNamespace: Sendable, Hashable {
    public let identity: String
    public let id: String

    public init(identity: String) {
        self.identity = identity
        id = String(SHA256.hash(data: Array(identity.utf8)).prefix(8).map { Self.hex($0) }.joined())
    }

    /// A namespace known only by its id (read back from a store that keeps no identity).
    init(id: String, identity: String) {
        self.id = id
        self.identity = identity
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// The namespace of the warehouse at `address` read through `spec`. PostgreSQL fields the
    /// address leaves out come from the PG* variables, as libpq takes them.
    public static func of(warehouse address: String, spec: TableSpec, environment: [String: String]) throws
        -> CacheNamespace
    {
        var parts: [String]
        switch try WarehouseAddress.kind(of: address) {
        case .sqlite(let path):
            var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let real = realpath(path, &resolved) != nil ? String(cString: resolved) : path
            parts = ["kind=sqlite", "database=\(real)"]
        case .postgres(let conninfo):
            let fields = postgresFields(conninfo)
            func pick(_ name: String, _ variable: String, _ fallback: String) -> String {
                if let v = fields[name], !v.isEmpty { return v }
                if let v = environment[variable], !v.isEmpty { return v }
                return fallback
            }
            let user = pick("user", "PGUSER", environment["USER"] ?? "")
            parts = [
                "kind=postgres", "host=\(pick("host", "PGHOST", pick("hostaddr", "PGHOSTADDR", "localhost")))",
                "port=\(pick("port", "PGPORT", "5432"))", "database=\(pick("dbname", "PGDATABASE", user))",
            ]
            if let service = fields["service"] ?? environment["PGSERVICE"], !service.isEmpty {
                parts.append("service=\(service)")
            }
        case .snowflake:
            let account = try SnowflakeAccount.parse(address, environment: environment)
            parts = [
                "kind=snowflake", "host=\(account.baseURL)", "database=\(account.database ?? "")",
                "schema=\(account.schema ?? "")",
            ]
        }
        parts.append("table=\(spec.table)")
        parts.append(
            "columns=\([spec.userColumn, spec.courseColumn, spec.enterpriseColumn, spec.secondsColumn].joined(separator: ","))"
        )
        // Entries hold last_updated, which --last-updated rows reads from the rows: another namespace.
        if spec.readsLatestDate { parts.append("last_updated=rows:\(spec.dateColumn)") }
        return CacheNamespace(identity: parts.joined(separator: " "))
    }

    /// The connection fields libpq reads from a URL or conninfo; empty when it cannot parse it.
    private static func postgresFields(_ conninfo: String) -> [String: String] {
        var err: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &err) else {
            if let err { PQfreemem(err) }
            return [:]
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var p = options
        while let keyword = p.pointee.keyword {
            if let value = p.pointee.val { out[String(cString: keyword)] = String(cString: value) }
            p += 1
        }
        return out
    }
}
