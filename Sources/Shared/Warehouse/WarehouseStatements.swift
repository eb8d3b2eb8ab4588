import FoundationEssentials

/// One batch statement handed to a warehouse that runs several at once.
public struct WarehouseStatement: Sendable {
    /// The caller's name for the statement; its outcome carries it back.
    public let ticket: Int
    public let keys: [LookupKey]
    /// 0 for the first submission; more for a resubmission of the same batch after a failure.
    public let attempt: Int
    /// Kept across resubmissions of the same batch, so a warehouse that deduplicates requests
    /// (Snowflake's `requestId` with `retry=true`) runs the batch once.
    public let requestID: String

    public init(ticket: Int, keys: [LookupKey], attempt: Int, requestID: String) {
        self.ticket = ticket
        self.keys = keys
        self.attempt = attempt
        self.requestID = requestID
    }

    /// The start-up probe: a statement with no keys, which reads the table's columns and no rows,
    /// so that a configuration mistake (missing table, column or grant, failed login) is found
    /// without asking for any key. It fails with ``WarehouseError/misconfigured(_:hint:)`` then.
    public static func probe(ticket: Int) -> WarehouseStatement {
        WarehouseStatement(ticket: ticket, keys: [], attempt: 0, requestID: newRequestID())
    }

    /// True for the start-up probe (``probe(ticket:)``).
    public var isProbe: Bool { keys.isEmpty }

    /// A fresh request id (a lower-case UUID) for a new batch.
    public static func newRequestID() -> String { UUID().uuidString.lowercased() }
}

/// How a submitted statement ended: its answer, or why there is none.
public struct WarehouseOutcome: Sendable {
    public let ticket: Int
    public let result: Result<WarehouseAnswer, WarehouseError>
    /// Seconds from submission to the answer.
    public let seconds: Double
}

/// A warehouse that keeps several statements in flight on one thread: ``submit(_:)`` returns at
/// once, and ``collect(waitingUpTo:)`` hands back the statements that have finished.
public protocol ConcurrentWarehouse: Warehouse {
    /// Starts `statement`; its outcome (success or error) arrives through ``collect(waitingUpTo:)``.
    func submit(_ statement: WarehouseStatement)
    /// Moves the statements in flight along, waiting at most `seconds` (0: not at all) for one to
    /// finish, and returns those that did.
    func collect(waitingUpTo seconds: Double) -> [WarehouseOutcome]
}

extension ConcurrentWarehouse {
    /// One statement, waited for: for ad-hoc lookups and callers that need a single answer.
    public func answer(for keys: [LookupKey]) throws -> WarehouseAnswer {
        guard !keys.isEmpty else { return WarehouseAnswer() }
        return try wait(
            for: WarehouseStatement(
                ticket: Int.min, keys: keys, attempt: 0, requestID: WarehouseStatement.newRequestID()))
    }

    /// The start-up probe (``WarehouseStatement/probe(ticket:)``), waited for: it reads the table's
    /// columns and no rows, so a failed login or a missing table, column or grant is found now.
    public func verify() throws { _ = try wait(for: .probe(ticket: Int.min)) }

    private func wait(for statement: WarehouseStatement) throws -> WarehouseAnswer {
        submit(statement)
        while true {
            for outcome in collect(waitingUpTo: 1) where outcome.ticket == statement.ticket {
                return try outcome.result.get()
            }
        }
    }
}

/// Runs a warehouse that answers one batch at a time (SQLite) through the concurrent interface:
/// each statement runs to its end when submitted, and its outcome waits to be collected.
public final class SerialStatements: ConcurrentWarehouse {
    private let warehouse: Warehouse
    private var done: [WarehouseOutcome] = []

    public init(_ warehouse: Warehouse) { self.warehouse = warehouse }

    public var displayName: String { warehouse.displayName }
    public func answer(for keys: [LookupKey]) throws -> WarehouseAnswer { try warehouse.answer(for: keys) }
    public func explain(_ keys: [LookupKey]) -> String { warehouse.explain(keys) }
    public func verify() throws { try warehouse.verify() }

    public func submit(_ statement: WarehouseStatement) {
        let started = Timestamps.monotonic()
        let result: Result<WarehouseAnswer, WarehouseError>
        do {
            if statement.isProbe {
                try warehouse.verify()
                result = .success(WarehouseAnswer())
            } else {
                result = .success(try warehouse.answer(for: statement.keys))
            }
        } catch let e as WarehouseError {
            result = .failure(e)
        } catch {
            result = .failure(.queryFailed("\(error)"))
        }
        let seconds = Timestamps.monotonic() - started
        done.append(WarehouseOutcome(ticket: statement.ticket, result: result, seconds: seconds))
    }

    public func collect(waitingUpTo seconds: Double) -> [WarehouseOutcome] {
        defer { done.removeAll() }
        return done
    }
}
