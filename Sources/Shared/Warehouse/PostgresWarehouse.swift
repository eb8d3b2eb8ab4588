/// A warehouse that speaks the PostgreSQL protocol (PostgreSQL, Citus, Redshift, CockroachDB,
/// YugabyteDB), through libpq.
///
/// One connection per process, opened on first use and opened again after it is lost. Each batch
/// is one execution of a prepared statement that binds the keys as three arrays and unnests them
/// into a join, so the number of keys never changes the SQL text and values are never spliced in.
/// The connection runs in pipeline mode: several batches go out without waiting for the answers
/// before them, so a long round trip (a managed warehouse across a network) is paid once, not per batch.
/// The start-up check is the shared probe (``ConcurrentWarehouse/verify()``): the statement runs
/// for no keys, rather than only being prepared, because PostgreSQL checks privileges when a query runs.
public final class PostgresWarehouse: ConcurrentWarehouse {
    public let displayName: String
    private let address: String
    private let spec: TableSpec
    private let statementTimeout: Double
    private var connection: PostgresConnection?
    private static let statementName = "lt_totals"

    /// Checks the address without connecting; a malformed one is a configuration error.
    public init(
        address: String, spec: TableSpec, statementTimeout: Double = WarehouseAddress.defaultStatementTimeout
    ) throws {
        displayName = WarehouseAddress.redacted(address)
        do { try PostgresConnection.checkAddress(address) } catch let e as PostgresConnection.Failure {
            throw WarehouseError.misconfigured(
                "--warehouse \(displayName) is not a valid PostgreSQL address: \(e.message)",
                hint: "use postgres://USER@HOST:PORT/DB or a conninfo such as 'host=… dbname=…'")
        }
        self.address = address
        self.spec = spec
        self.statementTimeout = statementTimeout
    }

    /// The batch query: `$1` user ids, `$2` course keys, `$3` enterprise UUIDs (lower case); one
    /// row per key with rows, identified by its 1-based position in the arrays. The UUID matches
    /// in any case; an index on (user, course, …) still narrows each key's rows.
    var sql: String {
        let date = spec.readsLatestDate ? ", to_char(MAX(t.\(spec.dateColumn)), 'YYYY-MM-DD')" : ""
        return """
            SELECT k.i, SUM(t.\(spec.secondsColumn))\(date) \
            FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS k(u, c, e, i) \
            JOIN \(spec.table) t ON t.\(spec.userColumn) = k.u AND t.\(spec.courseColumn) = k.c \
            AND lower(t.\(spec.enterpriseColumn)) = k.e \
            GROUP BY k.i
            """
    }

    private func connected() throws -> PostgresConnection {
        if let c = connection, c.isHealthy { return c }
        connection = nil
        do {
            let c = try PostgresConnection(address: address)
            // Past the server's own timeout, with a second for its answer to arrive: a server that
            // has not answered by then is frozen (docs/contract.md, "A frozen warehouse").
            c.answerTimeout = statementTimeout + 1
            try c.execute("SET statement_timeout = \(Int((statementTimeout * 1000).rounded()))")
            try c.prepare(Self.statementName, sql, parameterCount: 3)
            try c.enterPipelineMode()
            connection = c
            return c
        } catch let e as PostgresConnection.Failure {
            throw error(e)
        }
    }

    private func error(_ e: PostgresConnection.Failure) -> WarehouseError {
        if let cause = PostgresMisconfiguration(sqlState: e.sqlState) {
            let what =
                [.login, .role, .database].contains(cause)
                ? "cannot log in to \(displayName)"
                : "cannot query \(spec.table) on \(displayName)"
            return .misconfigured("\(what): \(e.message)", hint: cause.hint(table: spec.table))
        }
        if e.timedOut { connection = nil; return .timedOut("\(displayName): \(e.message)") }
        if e.connectionLost { connection = nil; return .unavailable("\(displayName): \(e.message)") }
        return .queryFailed(e.description)
    }

    /// Batches sent on the connection and not yet answered, and outcomes not yet collected.
    private var pending: [Int: (keys: [LookupKey], sent: Double)] = [:]
    private var done: [WarehouseOutcome] = []

    public func submit(_ statement: WarehouseStatement) {
        let started = Timestamps.monotonic()
        do {
            if let c = connection, !c.isHealthy { failPending(.unavailable("\(displayName): the connection was lost")) }
            let c = try connected()
            try c.sendPipelined(prepared: Self.statementName, Self.arrays(statement.keys), tag: statement.ticket)
            pending[statement.ticket] = (statement.keys, started)
        } catch let f as PostgresConnection.Failure {
            let e = error(f)
            failed(statement, e, since: started)
            if connection == nil { failPending(e) }
        } catch let e as WarehouseError {
            failed(statement, e, since: started)
        } catch {
            failed(statement, .queryFailed("\(error)"), since: started)
        }
    }

    private func failed(_ statement: WarehouseStatement, _ e: WarehouseError, since started: Double) {
        let seconds = Timestamps.monotonic() - started
        done.append(WarehouseOutcome(ticket: statement.ticket, result: .failure(e), seconds: seconds))
    }

    public func collect(waitingUpTo seconds: Double) -> [WarehouseOutcome] {
        guard let c = connection, !pending.isEmpty else { return take() }
        do {
            try c.receivePipelined(waitingUpTo: done.isEmpty ? seconds : 0) { tag, answer in
                guard let p = pending.removeValue(forKey: tag) else { return }
                let result: Result<WarehouseAnswer, WarehouseError>
                switch answer {
                case .success(let rows):
                    result = .success(Self.answer(rows, p.keys, latestDates: spec.readsLatestDate))
                case .failure(let f):
                    result = .failure(error(f))
                }
                done.append(WarehouseOutcome(ticket: tag, result: result, seconds: Timestamps.monotonic() - p.sent))
            }
        } catch let f as PostgresConnection.Failure {
            connection = nil
            failPending(error(f))
        } catch {
            connection = nil
            failPending(.unavailable("\(displayName): \(error)"))
        }
        return take()
    }

    private func take() -> [WarehouseOutcome] {
        defer { done.removeAll() }
        return done
    }

    /// Every batch on a connection that is gone ends with `e`; none of their answers can arrive.
    private func failPending(_ e: WarehouseError) {
        let now = Timestamps.monotonic()
        for (ticket, p) in pending {
            done.append(WarehouseOutcome(ticket: ticket, result: .failure(e), seconds: now - p.sent))
        }
        pending.removeAll()
    }

    /// The rows of one batch's answer: (position of the key, total). A total that does not fit in
    /// 64 bits or is not a whole number is set apart for its own key, so one bad key never fails its batch.
    private static func answer(_ rows: PostgresConnection.Rows, _ keys: [LookupKey], latestDates: Bool)
        -> WarehouseAnswer
    {
        var out = WarehouseAnswer()
        out.totals.reserveCapacity(keys.count)
        for r in 0..<rows.count {
            guard let i = rows.int64(r, 0), i >= 1, i <= keys.count else { continue }
            let key = keys[Int(i) - 1]
            if latestDates, !rows.isNull(r, 2) { out.latestDates[key] = rows.string(r, 2) }
            if rows.isNull(r, 1) { continue }
            // SUM of a bigint column is numeric: it may not fit, and a numeric column may hold fractions.
            if let total = rows.int64(r, 1) ?? Self.wholeNumber(rows.string(r, 1)) {
                out.totals[key] = total
            } else {
                out.rejected[key] =
                    "is \(rows.string(r, 1).prefix(40)), not a whole number of seconds that fits in 64 bits"
            }
        }
        return out
    }

    /// `123.000` (a numeric sum with a scale) as 123; nil for anything with a non-zero fraction or too big.
    static func wholeNumber(_ text: String) -> Int64? {
        guard let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }) else {
            return nil
        }
        return Int64(text[..<dot])
    }

    public func explain(_ keys: [LookupKey]) -> String {
        let a = Self.arrays(keys)
        return sql + "\n-- $1 = '\(a[0])'\n-- $2 = '\(a[1])'\n-- $3 = '\(a[2])'\n"
    }

    /// The keys as PostgreSQL array literals in text form: `{1,2}`, `{"a","b"}` with `"` and `\` escaped.
    static func arrays(_ keys: [LookupKey]) -> [String] {
        var users: [UInt8] = [UInt8(ascii: "{")]
        var courses: [UInt8] = [UInt8(ascii: "{")]
        var enterprises: [UInt8] = [UInt8(ascii: "{")]
        users.reserveCapacity(keys.count * 8)
        courses.reserveCapacity(keys.count * 40)
        enterprises.reserveCapacity(keys.count * 40)
        for (n, k) in keys.enumerated() {
            if n > 0 {
                users.append(UInt8(ascii: ","))
                courses.append(UInt8(ascii: ","))
                enterprises.append(UInt8(ascii: ","))
            }
            users.append(contentsOf: String(k.userID).utf8)
            appendQuoted(k.courseID, to: &courses)
            appendQuoted(k.enterpriseID, to: &enterprises)
        }
        users.append(UInt8(ascii: "}"))
        courses.append(UInt8(ascii: "}"))
        enterprises.append(UInt8(ascii: "}"))
        return [
            String(decoding: users, as: UTF8.self), String(decoding: courses, as: UTF8.self),
            String(decoding: enterprises, as: UTF8.self),
        ]
    }

    /// `s` as an element of a text array literal: in quotes, with `"` and `\` escaped.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(c)
        }
        out.append(UInt8(ascii: "\""))
    }
}
