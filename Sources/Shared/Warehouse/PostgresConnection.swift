import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// Owns one libpq connection (`PGconn`) and turns libpq's results into Swift values and errors;
/// nothing else sees a C pointer.
///
/// The address is handed to libpq as given (URL or conninfo), so PG* environment variables,
/// `~/.pgpass`, `service=` entries and `sslmode` work as they do for psql.
public final class PostgresConnection {
    private let conn: OpaquePointer
    /// Longest to wait for the server's answer to one call. The server's `statement_timeout`
    /// normally ends a slow query first; this covers a server that stopped answering while its
    /// kernel keeps the connection open (a frozen host, a stuck proxy), where nothing else would.
    public var answerTimeout: Double = 60
    /// Set when a call gave up waiting: the protocol state is unknown, so the connection is done.
    private var abandoned = false

    /// Why a call failed: libpq's message and, for errors the server reported, the SQLSTATE.
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public let sqlState: String?
        /// True when the connection itself is gone (or never came up), so the next call must reconnect.
        public let connectionLost: Bool
        /// True when the server did not answer in time (a connect timeout, or no answer within
        /// ``answerTimeout``): a frozen server or a stuck proxy, not a refusal.
        public var timedOut = false
        public var description: String { sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message }
    }

    /// Checks a URL or conninfo string without connecting; libpq's own message on failure.
    public static func checkAddress(_ address: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(address, &err) else {
            let message = err.map { String(cString: $0).oneLine } ?? "cannot parse the connection string"
            if let err { PQfreemem(err) }
            throw Failure(message: message, sqlState: nil, connectionLost: true)
        }
        PQconninfoFree(options)
    }

    /// Connects (blocking). `fallbackTimeout` is the connect timeout when neither the address
    /// nor `PGCONNECT_TIMEOUT` gives one; `tool` names the connection in `pg_stat_activity` unless
    /// the address or `PGAPPNAME` names it.
    public init(address: String, tool: String = "lt-query", fallbackTimeout: Int = 10) throws {
        // With expand_dbname, later keywords override earlier ones, so the address (last) wins.
        var keywords = ["fallback_application_name"]
        var values = [tool]
        if getenv("PGCONNECT_TIMEOUT") == nil {
            keywords.append("connect_timeout")
            values.append(String(fallbackTimeout))
        }
        // A server that vanishes without closing the connection (a partition, a dead host) is
        // noticed within about a minute instead of the kernel's two hours.
        keywords += ["keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count"]
        values += ["1", "30", "10", "3"]
        keywords.append("dbname")
        values.append(address)
        let handle: OpaquePointer? = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let handle else { throw Failure(message: "out of memory", sqlState: nil, connectionLost: true) }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).oneLine
            let state = PostgresMisconfiguration.sqlState(
                ofConnectionFailure: message,
                needsPassword: PQconnectionNeedsPassword(handle) == 1)
            PQfinish(handle)
            throw Failure(
                message: message, sqlState: state, connectionLost: true, timedOut: message.contains("timeout expired"))
        }
        conn = handle
        PQsetClientEncoding(conn, "UTF8")
    }

    deinit {
        PQclear(decisive)
        PQfinish(conn)
    }

    /// False once the server has gone away; the owner should open a new connection.
    public var isHealthy: Bool { !abandoned && PQstatus(conn) == CONNECTION_OK }

    /// Runs SQL without parameters or results (SET, CREATE …).
    public func execute(_ sql: String) throws {
        let result = try answer(to: PQsendQuery(conn, sql))
        defer { PQclear(result) }
        try check(result, expecting: PGRES_COMMAND_OK)
    }

    /// Prepares `sql` under `name` for the pipelined queries.
    public func prepare(_ name: String, _ sql: String, parameterCount: Int32) throws {
        let result = try answer(to: PQsendPrepare(conn, name, sql, parameterCount, nil))
        defer { PQclear(result) }
        try check(result, expecting: PGRES_COMMAND_OK)
    }

    /// Runs a prepared statement that returns no rows (INSERT, DELETE …) with text parameters.
    public func execute(prepared name: String, _ parameters: [String]) throws {
        let sent = withCStringArray(parameters) { p in
            PQsendQueryPrepared(conn, name, Int32(parameters.count), p, nil, nil, 0)
        }
        let result = try answer(to: sent)
        defer { PQclear(result) }
        try check(result, expecting: PGRES_COMMAND_OK)
    }

    // MARK: Pipeline mode

    /// Queries sent in pipeline mode and not yet answered, oldest first, with when they were sent.
    private var pipelined: [(tag: Int, sent: Double)] = []
    /// When the last pipelined query was answered: the server runs them one after another, so the
    /// oldest one's clock starts at its sending or at this, whichever is later.
    private var lastAnswered = 0.0
    /// The result that decides the oldest pipelined query so far: its first error, else its last.
    private var decisive: OpaquePointer?
    /// PQflush said more output waits for the socket to take it.
    private var outputPending = false

    /// Switches to pipeline mode (libpq 14+): queries go out without waiting for earlier answers,
    /// which arrive in order. Prepare statements first.
    public func enterPipelineMode() throws {
        guard PQsetnonblocking(conn, 1) == 0, PQenterPipelineMode(conn) == 1 else { throw failure(lost: !isHealthy) }
    }

    /// libpq's last message as a failure.
    private func failure(lost: Bool) -> Failure {
        Failure(message: String(cString: PQerrorMessage(conn)).oneLine, sqlState: nil, connectionLost: lost)
    }

    /// Sends a prepared statement with a sync point of its own (so an error ends only that query),
    /// without waiting; its result comes back, under `tag`, from ``receivePipelined(waitingUpTo:_:)``.
    public func sendPipelined(prepared name: String, _ parameters: [String], tag: Int) throws {
        let sent = withCStringArray(parameters) { p in
            PQsendQueryPrepared(conn, name, Int32(parameters.count), p, nil, nil, 0)
        }
        guard sent == 1, PQpipelineSync(conn) == 1 else { throw failure(lost: !isHealthy) }
        pipelined.append((tag, Timestamps.monotonic()))
        try flushOutput()
    }

    private func flushOutput() throws {
        let r = PQflush(conn)
        guard r >= 0 else { throw failure(lost: true) }
        outputPending = r == 1
    }

    /// Reads the answers that have arrived, waiting at most `seconds` for the first, and hands each
    /// finished query's rows (or its error) to `done`, oldest first. Throws when the connection is
    /// lost or the oldest query had no answer within ``answerTimeout``: every pipelined query is then lost.
    public func receivePipelined(
        waitingUpTo seconds: Double,
        _ done: (Int, Result<Rows, Failure>) throws -> Void
    ) throws {
        let deadline = Timestamps.monotonic() + seconds
        var delivered = 0
        while let front = pipelined.first {
            if outputPending { try flushOutput() }
            guard PQconsumeInput(conn) == 1 else { throw failure(lost: true) }
            var nulls = 0
            while !pipelined.isEmpty, PQisBusy(conn) == 0, nulls < 2 {
                // Each query's results end with a NULL, then comes its sync point.
                guard let r = PQgetResult(conn) else { nulls += 1; continue }
                nulls = 0
                if PQresultStatus(r) == PGRES_PIPELINE_SYNC {
                    PQclear(r)
                    let tag = pipelined.removeFirst().tag
                    lastAnswered = Timestamps.monotonic()
                    let result = decisive
                    decisive = nil
                    defer { PQclear(result) }
                    delivered += 1
                    if let result, PQresultStatus(result) == PGRES_TUPLES_OK {
                        try done(tag, .success(Rows(result: result)))
                    } else {
                        do { try check(result, expecting: PGRES_TUPLES_OK) } catch let f as Failure {
                            try done(tag, .failure(f))
                        }
                    }
                } else if let d = decisive, PQresultStatus(d) == PGRES_FATAL_ERROR {
                    PQclear(r)
                } else {
                    PQclear(decisive)
                    decisive = r
                }
            }
            let now = Timestamps.monotonic()
            if delivered > 0 || now >= deadline || pipelined.isEmpty { return }
            if now - max(front.sent, lastAnswered) > answerTimeout {
                abandoned = true
                throw Failure(
                    message: "the server did not answer within \(DurationText.format(answerTimeout))",
                    sqlState: nil, connectionLost: true, timedOut: true)
            }
            let events = Int16(POLLIN) | (outputPending ? Int16(POLLOUT) : 0)
            var p = pollfd(fd: PQsocket(conn), events: events, revents: 0)
            _ = poll(&p, 1, Int32(min(deadline - now, 1) * 1000 + 1))
        }
    }

    /// Read access to a result's cells while it is alive.
    public struct Rows {
        let result: OpaquePointer

        public var count: Int32 { PQntuples(result) }
        public func isNull(_ row: Int32, _ column: Int32) -> Bool { PQgetisnull(result, row, column) != 0 }
        public func string(_ row: Int32, _ column: Int32) -> String { String(cString: PQgetvalue(result, row, column)) }

        /// The cell as an integer, without building a String; nil when it is not a whole number that fits.
        public func int64(_ row: Int32, _ column: Int32) -> Int64? {
            guard let p = PQgetvalue(result, row, column) else { return nil }
            let length = Int(PQgetlength(result, row, column))
            return p.withMemoryRebound(to: UInt8.self, capacity: length) { u in
                JSONNumbers.parseDigits(UnsafeBufferPointer(start: u, count: length))
            }
        }
    }

    /// Waits, at most ``answerTimeout``, for the results of the command just sent (`sent` is the
    /// PQsend… return value) and returns the one that decides: the first error, else the last.
    private func answer(to sent: Int32) throws -> OpaquePointer? {
        guard sent == 1 else {
            throw Failure(
                message: String(cString: PQerrorMessage(conn)).oneLine, sqlState: nil, connectionLost: !isHealthy)
        }
        let deadline = Timestamps.monotonic() + answerTimeout
        var decisive: OpaquePointer?
        while true {
            while PQisBusy(conn) == 1 {
                let left = deadline - Timestamps.monotonic()
                guard left > 0 else {
                    abandoned = true
                    PQclear(decisive)
                    throw Failure(
                        message: "the server did not answer within \(DurationText.format(answerTimeout))",
                        sqlState: nil, connectionLost: true, timedOut: true)
                }
                var p = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, Int32(min(left * 1000, 1000).rounded(.up)))
                guard PQconsumeInput(conn) == 1 else {
                    PQclear(decisive)
                    throw Failure(
                        message: String(cString: PQerrorMessage(conn)).oneLine, sqlState: nil, connectionLost: true)
                }
            }
            guard let r = PQgetResult(conn) else { return decisive }
            if let d = decisive, PQresultStatus(d) == PGRES_FATAL_ERROR {
                PQclear(r)
            } else {
                PQclear(decisive)
                decisive = r
            }
        }
    }

    private func check(_ result: OpaquePointer?, expecting: ExecStatusType) throws {
        guard let result else {
            throw Failure(
                message: String(cString: PQerrorMessage(conn)).oneLine, sqlState: nil, connectionLost: !isHealthy)
        }
        let status = PQresultStatus(result)
        guard status == expecting else {
            let message = String(cString: PQresultErrorMessage(result)).oneLine
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw Failure(
                message: message.isEmpty ? String(cString: PQresStatus(status)) : message,
                sqlState: state, connectionLost: !isHealthy)
        }
    }
}

extension String {
    /// libpq's messages span lines ("…failed: Connection refused\n\tIs the server running…"); a diagnostic is one line.
    fileprivate var oneLine: String {
        split(whereSeparator: { $0 == "\n" || $0 == "\t" }).map { $0.trimmed(" ") }.filter { !$0.isEmpty }.joined(
            separator: " ")
    }
}

/// Calls `body` with the strings as a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { for p in owned { free(p) } }
    owned.append(nil)
    return body(owned.map { UnsafePointer($0) })
}
