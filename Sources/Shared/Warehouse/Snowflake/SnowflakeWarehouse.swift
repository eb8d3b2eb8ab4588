import Foundation

/// The specification's warehouse, through the Snowflake SQL API (`POST /api/v2/statements`).
///
/// One statement per batch, with the keys as bindings; results arrive as strings over one or more
/// partitions. A statement still running after the first answer (202) is polled until done, or
/// cancelled at the statement timeout. Each submission carries a `requestId`, kept across retries
/// of the same batch, so Snowflake runs a resubmitted statement only once.
public final class SnowflakeWarehouse: Warehouse {
    public let displayName: String
    let account: SnowflakeAccount
    let auth: SnowflakeAuth
    let spec: TableSpec
    let http: SnowflakeHTTP
    /// Seconds a statement may run on Snowflake before it is cancelled.
    public var statementTimeout: Double
    /// Attempts for answers Snowflake asks to retry (429, 503, 408) within one round trip.
    public var transientRetries = 3
    public var userAgent = "lt-query/\(LTVersion.current)"

    public init(account: SnowflakeAccount, auth: SnowflakeAuth, spec: TableSpec, statementTimeout: Double = 30) throws {
        // The default host is checked like any destination; an explicit host= is the operator's choice.
        http = try SnowflakeHTTP(guarded: account.baseURL == "https://\(account.account).snowflakecomputing.com",
                                 environment: ProcessInfo.processInfo.environment)
        self.account = account
        self.auth = auth
        self.spec = spec
        self.statementTimeout = statementTimeout
        displayName = "snowflake://\(account.account)/\(account.database ?? "")/\(account.schema ?? "")"
    }

    func sql(count: Int) -> String {
        let tuples = Array(repeating: "(?, ?, ?)", count: count).joined(separator: ", ")
        return """
            SELECT t.\(spec.userColumn), t.\(spec.courseColumn), t.\(spec.enterpriseColumn), SUM(t.\(spec.secondsColumn)) \
            FROM \(spec.table) t JOIN (VALUES \(tuples)) AS k(u, c, e) \
            ON t.\(spec.userColumn) = k.u AND t.\(spec.courseColumn) = k.c AND t.\(spec.enterpriseColumn) = k.e \
            GROUP BY 1, 2, 3
            """
    }

    /// The JSON body of the statement request.
    func body(_ keys: [LookupKey]) -> [UInt8] {
        var json = JSONBuffer(capacity: 256 + keys.count * 160)
        json.beginObject()
        json.key("statement"); json.string(sql(count: keys.count))
        json.key("timeout"); json.int(Int(statementTimeout.rounded(.up)))
        json.member("database", account.database)
        json.member("schema", account.schema)
        json.member("warehouse", account.warehouse)
        json.member("role", account.role)
        json.key("bindings")
        json.beginObject()
        for (i, k) in keys.enumerated() {
            for (j, (type, value)) in [("FIXED", String(k.userID)), ("TEXT", k.courseID), ("TEXT", k.enterpriseID)].enumerated() {
                json.key(String(i * 3 + j + 1))
                json.beginObject()
                json.key("type"); json.string(type)
                json.key("value"); json.string(value)
                json.endObject()
            }
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// Runs a statement that reads the table's columns and no rows; a SQL error there (no such
    /// table, column or grant) is a configuration mistake, not an outage.
    public func verify() throws {
        var json = JSONBuffer()
        json.beginObject()
        json.key("statement")
        json.string("SELECT \(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), \(spec.secondsColumn) FROM \(spec.table) LIMIT 0")
        json.key("timeout"); json.int(Int(statementTimeout.rounded(.up)))
        json.member("database", account.database)
        json.member("schema", account.schema)
        json.member("warehouse", account.warehouse)
        json.member("role", account.role)
        json.endObject()
        let r = http.request(method: "POST", url: "\(account.baseURL)/api/v2/statements?requestId=\(UUID().uuidString.lowercased())",
                             headers: try headers(), body: json.bytes, timeout: statementTimeout + 15)
        do { _ = try answer(r) } catch WarehouseError.queryFailed(let m) {
            throw WarehouseError.misconfigured("cannot read \(spec.table) on Snowflake: \(m)",
                                               hint: "check --table, the column options, the database and schema in the address, and the role's grants")
        }
    }

    public func explain(_ keys: [LookupKey]) -> String {
        "POST \(account.baseURL)/api/v2/statements?requestId=<uuid>\n" + String(decoding: body(keys), as: UTF8.self) + "\n"
    }

    private func headers() throws -> [(String, String)] {
        [("Authorization", "Bearer \(try auth.token())"),
         ("X-Snowflake-Authorization-Token-Type", auth.tokenType),
         ("Content-Type", "application/json"), ("Accept", "application/json"), ("User-Agent", userAgent)]
    }

    public func totals(for keys: [LookupKey]) throws -> [LookupKey: Int64] {
        guard !keys.isEmpty else { return [:] }
        let requestID = UUID().uuidString.lowercased()
        let started = Timestamps.monotonic()
        var attempt = 0
        var response: SnowflakeHTTP.Response
        while true {
            let retry = attempt > 0 ? "&retry=true" : ""
            response = http.request(method: "POST", url: "\(account.baseURL)/api/v2/statements?requestId=\(requestID)\(retry)",
                                    headers: try headers(), body: body(keys), timeout: statementTimeout + 15)
            if [408, 429, 503].contains(response.status) && attempt < transientRetries {
                attempt += 1
                Clock.sleep(seconds: 0.2 * Double(1 << attempt) * Double.random(in: 0.5...1))
                continue
            }
            break
        }
        var document = try answer(response)
        // 202: still running. Poll its status URL until it is done, or cancel it at the timeout.
        while response.status == 202 {
            guard let handle = document["statementHandle"] as? String else {
                throw WarehouseError.queryFailed("Snowflake answered 202 without a statement handle")
            }
            if Timestamps.monotonic() - started > statementTimeout {
                _ = http.request(method: "POST", url: "\(account.baseURL)/api/v2/statements/\(handle)/cancel",
                                 headers: try headers(), body: [], timeout: 10)
                throw WarehouseError.queryFailed("statement \(handle) still running after \(Int(statementTimeout)) s; cancelled")
            }
            Clock.sleep(seconds: 0.25)
            response = http.request(method: "GET", url: "\(account.baseURL)/api/v2/statements/\(handle)",
                                    headers: try headers(), body: nil, timeout: 30)
            document = try answer(response)
        }
        var out: [LookupKey: Int64] = [:]
        try collect(document, into: &out)
        let partitions = ((document["resultSetMetaData"] as? [String: Any])?["partitionInfo"] as? [Any])?.count ?? 1
        if partitions > 1, let handle = document["statementHandle"] as? String {
            for p in 1..<partitions {
                let r = http.request(method: "GET", url: "\(account.baseURL)/api/v2/statements/\(handle)?partition=\(p)",
                                     headers: try headers(), body: nil, timeout: 60)
                try collect(try answer(r), into: &out)
            }
        }
        return out
    }

    /// The response's JSON, or the error it stands for.
    private func answer(_ r: SnowflakeHTTP.Response) throws -> [String: Any] {
        if let t = r.transportError { throw WarehouseError.unavailable("Snowflake at \(account.baseURL): \(t)") }
        let json = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
        let message = (json["message"] as? String).map { ": \($0)" } ?? ""
        switch r.status {
        case 200, 202:
            return json
        case 401, 403:
            throw WarehouseError.misconfigured("Snowflake refused the credentials (\(r.status))\(message)",
                                               hint: "check the account, the user and that the public key is registered on the user (ALTER USER … SET RSA_PUBLIC_KEY)")
        case 422:
            throw WarehouseError.queryFailed("Snowflake could not run the statement\(message)")
        case 408, 429, 503, 500..<600:
            throw WarehouseError.unavailable("Snowflake answered \(r.status)\(message)")
        default:
            throw WarehouseError.queryFailed("Snowflake answered \(r.status)\(message)")
        }
    }

    /// Adds a partition's rows; every value arrives as a string (or null), whatever its SQL type.
    private func collect(_ document: [String: Any], into out: inout [LookupKey: Int64]) throws {
        guard let rows = document["data"] as? [[Any]] else { return }
        for row in rows {
            guard row.count >= 4, let u = (row[0] as? String).flatMap(Self.integer), let c = row[1] as? String,
                  let e = row[2] as? String else {
                throw WarehouseError.queryFailed("unexpected row shape from Snowflake: \(row.prefix(4))")
            }
            guard let sumText = row[3] as? String else { continue }  // NULL sum: no data
            guard let sum = Self.integer(sumText) else {
                throw WarehouseError.queryFailed("Snowflake returned a non-integer total \"\(sumText.prefix(40))\"")
            }
            out[LookupKey(userID: u, courseID: c, enterpriseID: e)] = sum
        }
    }

    /// An integer from Snowflake's text: `15`, `15.000` (FIXED with scale) or `1.5e1`.
    static func integer(_ text: String) -> Int64? {
        if let v = Int64(text) { return v }
        guard let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else { return nil }
        return Int64(d)
    }
}
