import FoundationEssentials

/// The specification's warehouse, through the Snowflake SQL API (`POST /api/v2/statements`).
///
/// One statement per batch, with the keys as bindings; results arrive as strings over one or more
/// partitions. Several statements run at once, each a chain of requests on one libcurl multi handle:
/// the submission, polls of a statement still running (202) until done or cancelled at the statement
/// timeout, then the further partitions. Each submission carries a `requestId`, kept across retries
/// of the same batch (resubmitted with `retry=true`), so Snowflake runs a resubmitted statement once.
public final class SnowflakeWarehouse: ConcurrentWarehouse {
    public let displayName: String
    let account: SnowflakeAccount
    let auth: SnowflakeAuth
    let spec: TableSpec
    private let http: SnowflakeHTTP
    /// Seconds a statement may run on Snowflake before it is cancelled.
    public var statementTimeout: Double
    /// Attempts for answers Snowflake asks to retry (429, 503, 408) within one round trip.
    public var transientRetries = 3
    public var userAgent = "lt-query/\(LTVersion.current)"

    public init(
        account: SnowflakeAccount, auth: SnowflakeAuth, spec: TableSpec,
        statementTimeout: Double = WarehouseAddress.defaultStatementTimeout
    ) throws {
        // The default host is checked like any destination; an explicit host= is the operator's choice.
        http = try SnowflakeHTTP(
            guarded: account.baseURL == "https://\(account.account).snowflakecomputing.com",
            environment: ProcessInfo.processInfo.environment)
        self.account = account
        self.auth = auth
        self.spec = spec
        self.statementTimeout = statementTimeout
        displayName = "snowflake://\(account.account)/\(account.database ?? "")/\(account.schema ?? "")"
    }

    /// The batch statement. The enterprise UUID matches in any case (the keys' are lower case)
    /// and each key comes back as bound, so that rows written in either case make one total.
    func sql(count: Int) -> String {
        let tuples = Array(repeating: "(?, ?, ?)", count: count).joined(separator: ", ")
        let date = spec.readsLatestDate ? ", TO_CHAR(MAX(t.\(spec.dateColumn)), 'YYYY-MM-DD')" : ""
        return """
            SELECT k.u, k.c, k.e, SUM(t.\(spec.secondsColumn))\(date) \
            FROM \(spec.table) t JOIN (VALUES \(tuples)) AS k(u, c, e) \
            ON t.\(spec.userColumn) = k.u AND t.\(spec.courseColumn) = k.c AND LOWER(t.\(spec.enterpriseColumn)) = k.e \
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
            for (j, (type, value)) in [("FIXED", String(k.userID)), ("TEXT", k.courseID), ("TEXT", k.enterpriseID)]
                .enumerated()
            {
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

    /// The probe's body (``ConcurrentWarehouse/verify()`` sends it): a statement that reads the
    /// table's columns and no rows. A SQL error there (no such table, column or grant) is a
    /// configuration mistake, not an outage.
    func probeBody() -> [UInt8] {
        var json = JSONBuffer()
        json.beginObject()
        json.key("statement")
        json.string(
            "SELECT \(spec.userColumn), \(spec.courseColumn), \(spec.enterpriseColumn), \(spec.secondsColumn)"
                + (spec.readsLatestDate ? ", \(spec.dateColumn)" : "") + " FROM \(spec.table) LIMIT 0")
        json.key("timeout"); json.int(Int(statementTimeout.rounded(.up)))
        json.member("database", account.database)
        json.member("schema", account.schema)
        json.member("warehouse", account.warehouse)
        json.member("role", account.role)
        json.endObject()
        return json.bytes
    }

    public func explain(_ keys: [LookupKey]) -> String {
        "POST \(account.baseURL)/api/v2/statements?requestId=<uuid>\n" + String(decoding: body(keys), as: UTF8.self)
            + "\n"
    }

    private func headers() throws -> [HTTPHeader] {
        let token: HeaderValue
        do { token = try HeaderValue(auth.token()) } catch {
            throw WarehouseError.misconfigured(
                "cannot sign the Snowflake token: \(error)",
                hint: "check the private key named by SNOWFLAKE_PRIVATE_KEY_PATH")
        }
        return [
            HTTPHeader("Authorization", HeaderValue("Bearer ", token)),
            HTTPHeader("X-Snowflake-Authorization-Token-Type", HeaderValue(computed: auth.tokenType)),
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json"),
            HTTPHeader("User-Agent", HeaderValue(computed: userAgent)),
        ]
    }

    // MARK: Statements in flight

    /// A statement between its submission and its last partition.
    private final class Running {
        enum Step {
            case submit, poll
            case partition(Int)
        }
        let statement: WarehouseStatement
        let started = Timestamps.monotonic()
        var step = Step.submit
        var handle = ""
        /// Resubmissions within this round trip for answers Snowflake asks to retry (408, 429, 503).
        var resubmissions = 0
        /// When the next request of the chain may start; nil while one is out.
        var due: Double? = 0
        var partitions: [SnowflakeAnswer.Partition] = []
        var expectedRows: Int?
        var rows = 0
        var answer = WarehouseAnswer()

        init(_ statement: WarehouseStatement) { self.statement = statement }
    }

    private var running: [Int: Running] = [:]
    private var requestTags: [Int: Int] = [:]
    private var nextTag = 0

    public func submit(_ statement: WarehouseStatement) {
        running[statement.ticket] = Running(statement)
    }

    public func collect(waitingUpTo seconds: Double) -> [WarehouseOutcome] {
        let deadline = Timestamps.monotonic() + seconds
        var out: [WarehouseOutcome] = []
        while !running.isEmpty {
            startDue(&out)
            let now = Timestamps.monotonic()
            var wait = out.isEmpty ? max(0, deadline - now) : 0
            for r in running.values { if let due = r.due { wait = min(wait, max(0, due - now)) } }
            if http.inFlight == 0 {
                // Only timers left (a poll or a resubmission due later): nothing to wait on but time.
                if wait > 0 { Clock.sleep(seconds: wait) }
                if !out.isEmpty || Timestamps.monotonic() >= deadline { break }
                continue
            }
            for (tag, response) in http.perform(waitingUpTo: wait) {
                guard let ticket = requestTags.removeValue(forKey: tag), let r = running[ticket] else { continue }
                do {
                    if try advance(r, response) { finish(r, .success(r.answer), &out) }
                } catch let e as WarehouseError {
                    finish(r, .failure(e), &out)
                } catch {
                    finish(r, .failure(.queryFailed("\(error)")), &out)
                }
            }
            if !out.isEmpty || Timestamps.monotonic() >= deadline { break }
        }
        return out
    }

    private func finish(
        _ r: Running, _ result: Result<WarehouseAnswer, WarehouseError>,
        _ out: inout [WarehouseOutcome]
    ) {
        running[r.statement.ticket] = nil
        let seconds = Timestamps.monotonic() - r.started
        var result = result
        if r.statement.isProbe, case .failure(.queryFailed(let m)) = result {
            // The probe reads nothing but the table's columns: a SQL error there is the configuration's.
            result = .failure(
                .misconfigured(
                    "cannot read \(spec.table) on Snowflake: \(m)",
                    hint: "check --table, the column options, the database and schema in the address, and the "
                        + "role's grants"))
        }
        out.append(WarehouseOutcome(ticket: r.statement.ticket, result: result, seconds: seconds))
    }

    /// Starts the next request of every statement whose turn has come.
    private func startDue(_ out: inout [WarehouseOutcome]) {
        let now = Timestamps.monotonic()
        for r in running.values {
            guard let due = r.due, due <= now else { continue }
            let request: HTTPRequest
            do {
                request = try nextRequest(r)
            } catch let e as WarehouseError {
                finish(r, .failure(e), &out)
                continue
            } catch {
                finish(r, .failure(.queryFailed("\(error)")), &out)
                continue
            }
            nextTag += 1
            requestTags[nextTag] = r.statement.ticket
            r.due = nil
            http.start(request, tag: nextTag)
        }
    }

    private func nextRequest(_ r: Running) throws -> HTTPRequest {
        let base = "\(account.baseURL)/api/v2/statements"
        switch r.step {
        case .submit:
            let retry = r.statement.attempt > 0 || r.resubmissions > 0 ? "&retry=true" : ""
            return .init(
                method: .post, url: "\(base)?requestId=\(r.statement.requestID)\(retry)",
                headers: try headers(), body: r.statement.isProbe ? probeBody() : body(r.statement.keys),
                timeout: statementTimeout + 15)
        case .poll:
            if Timestamps.monotonic() - r.started > statementTimeout {
                // Cancelled on the way out; its answer is not waited for.
                nextTag += 1
                http.start(
                    .init(
                        method: .post, url: "\(base)/\(r.handle)/cancel", headers: try headers(), body: [],
                        timeout: 10), tag: nextTag)
                throw WarehouseError.queryFailed(
                    "statement \(r.handle) still running after \(Int(statementTimeout)) s; cancelled")
            }
            return .init(method: .get, url: "\(base)/\(r.handle)", headers: try headers(), body: [], timeout: 30)
        case .partition(let p):
            return .init(
                method: .get, url: "\(base)/\(r.handle)?partition=\(p)", headers: try headers(), body: [],
                timeout: 60)
        }
    }

    /// Takes in one answer of the statement's chain; true when the statement is complete.
    private func advance(_ r: Running, _ response: HTTPResponse) throws -> Bool {
        if case .submit = r.step, [408, 429, 503].contains(response.status), r.resubmissions < transientRetries {
            r.resubmissions += 1
            r.due = Timestamps.monotonic() + 0.2 * Double(1 << r.resubmissions) * Double.random(in: 0.5...1)
            return false
        }
        let a = try answer(response)
        if response.status == 202 {
            // Still running: poll its status until it is done.
            guard let handle = a.statementHandle, Self.isHandle(handle) else {
                throw WarehouseError.unavailable("Snowflake answered 202 without a usable statement handle")
            }
            r.handle = handle
            r.step = .poll
            r.due = Timestamps.monotonic() + 0.25
            return false
        }
        let page: Int
        if case .partition(let p) = r.step {
            page = p
        } else {
            page = 0
            r.partitions = a.resultSetMetaData?.partitionInfo ?? []
            r.expectedRows = a.resultSetMetaData?.numRows
            if let handle = a.statementHandle { r.handle = handle }
        }
        guard let rows = a.data else {
            throw WarehouseError.unavailable(
                "Snowflake answered 200 without data for partition \(page) of statement "
                    + "\(r.handle.prefix(64))")
        }
        if page < r.partitions.count, let expected = r.partitions[page].rowCount, expected != rows.count {
            throw WarehouseError.unavailable(
                "Snowflake sent \(rows.count) rows for partition \(page), which it said holds \(expected)")
        }
        try collect(rows, into: &r.answer)
        r.rows += rows.count
        if page + 1 < r.partitions.count {
            guard Self.isHandle(r.handle) else {
                throw WarehouseError.unavailable(
                    "Snowflake announced \(r.partitions.count) partitions without a usable statement handle")
            }
            r.step = .partition(page + 1)
            r.due = 0
            return false
        }
        if let expected = r.expectedRows, expected != r.rows {
            throw WarehouseError.unavailable("Snowflake sent \(r.rows) rows, but said the result holds \(expected)")
        }
        return true
    }

    /// A statement handle goes into URLs: a UUID-like token only.
    static func isHandle(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128
            && s.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
                    || c == 0x5F
            }
    }

    /// The decoded answer, or the error it stands for.
    private func answer(_ r: HTTPResponse) throws -> SnowflakeAnswer {
        if let t = r.transportError { throw WarehouseError.unavailable("Snowflake at \(account.baseURL): \(t)") }
        switch r.status {
        case 200, 202:
            return try SnowflakeAnswer.decode(r.body, status: r.status, from: "Snowflake")
        default:
            break
        }
        let a = try? JSONDecoder().decode(SnowflakeAnswer.self, from: Data(r.body))
        let message = a?.quotedMessage ?? ""
        switch r.status {
        case 401, 403:
            throw WarehouseError.misconfigured(
                "Snowflake refused the credentials (\(r.status))\(message)",
                hint: "check the account, the user, the role's grants and that the public key is registered on "
                    + "the user (ALTER USER … SET RSA_PUBLIC_KEY)")
        case 422 where a?.isPermanent == true:
            throw WarehouseError.misconfigured(
                "Snowflake refused the statement on \(spec.table) (code \(a?.code ?? "?"), "
                    + "SQL state \(a?.sqlState ?? "?"))\(message)",
                hint: "check --table and the column options, the database and schema in the address, and the role's "
                    + "grants (GRANT SELECT ON … TO ROLE …)")
        case 422:
            throw WarehouseError.queryFailed("Snowflake could not run the statement\(message)")
        case 408, 429, 503, 500..<600:
            throw WarehouseError.unavailable("Snowflake answered \(r.status)\(message)")
        default:
            throw WarehouseError.queryFailed("Snowflake answered \(r.status)\(message)")
        }
    }

    /// Adds a partition's rows; every value arrives as a string (or null), whatever its SQL type.
    /// A total that is not a whole number is set apart for its own key.
    private func collect(_ rows: [[String?]], into out: inout WarehouseAnswer) throws {
        let columns = spec.readsLatestDate ? 5 : 4
        for row in rows {
            guard row.count >= columns, let u = row[0].flatMap(Self.integer), let c = row[1], let e = row[2] else {
                throw WarehouseError.unavailable("unexpected row shape from Snowflake: \(row.prefix(columns))")
            }
            let key = LookupKey(userID: u, courseID: c, enterpriseID: e)
            if spec.readsLatestDate, let date = row[4] { out.latestDates[key] = date }
            guard let sumText = row[3] else { continue }  // NULL sum: no data
            guard let sum = Self.integer(sumText) else {
                out.rejected[key] = "is \(sumText.prefix(40)), not a whole number of seconds that fits in 64 bits"
                continue
            }
            out.totals[key] = sum
        }
    }

    /// An integer from Snowflake's text: `15`, `15.000` (FIXED with scale) or `1.5e1`.
    static func integer(_ text: String) -> Int64? {
        if let v = Int64(text) { return v }
        guard let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else { return nil }
        return Int64(d)
    }
}
