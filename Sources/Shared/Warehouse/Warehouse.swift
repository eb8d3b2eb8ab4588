/// A source of learning-time totals: one round trip answers a whole batch of keys.
public protocol Warehouse: AnyObject {
    /// A description safe to print: passwords and tokens are redacted.
    var displayName: String { get }

    /// The total seconds for each key that has rows; keys without rows are absent.
    /// A NULL sum (no rows) counts as absent. Throws ``WarehouseError`` when the warehouse
    /// cannot answer.
    func totals(for keys: [LookupKey]) throws -> [LookupKey: Int64]

    /// The batch's answer with keys whose rows cannot make a total set apart, so that one bad
    /// key never fails its batch. Warehouses that cannot tell keys apart use ``totals(for:)``.
    func answer(for keys: [LookupKey]) throws -> WarehouseAnswer

    /// The query and its bound values, for `--explain`, without running it.
    func explain(_ keys: [LookupKey]) -> String

    /// Checks now that the table and columns can be read, so that a configuration mistake stops
    /// the tool at start-up (``WarehouseError/misconfigured(_:hint:)``); a warehouse that cannot be
    /// reached throws ``WarehouseError/unavailable(_:)``, which callers may ride out.
    func verify() throws
}

extension Warehouse {
    /// Warehouses that check their table when they are opened need nothing more.
    public func verify() throws {}

    public func answer(for keys: [LookupKey]) throws -> WarehouseAnswer {
        WarehouseAnswer(totals: try totals(for: keys))
    }
}

/// A batch's answer: the total of each key with rows, and the keys whose rows do not make a
/// total (over 64 bits, not a whole number), each with why. Keys in neither have no rows.
public struct WarehouseAnswer: Sendable {
    public var totals: [LookupKey: Int64]
    public var rejected: [LookupKey: String]

    public init(totals: [LookupKey: Int64] = [:], rejected: [LookupKey: String] = [:]) {
        self.totals = totals
        self.rejected = rejected
    }
}

/// Why the warehouse could not answer.
public enum WarehouseError: LTError {
    /// The connection could not be made or was lost; worth retrying.
    case unavailable(String)
    /// The query ran and failed (timeout, permission); worth retrying.
    case queryFailed(String)
    /// A configuration that cannot work (bad URL, missing table): retrying will not help.
    case misconfigured(String, hint: String)

    public var message: String {
        switch self {
        case .unavailable(let m): "warehouse unavailable: \(m)"
        case .queryFailed(let m): "warehouse query failed: \(m)"
        case .misconfigured(let m, _): m
        }
    }

    public var hint: String {
        switch self {
        case .misconfigured(_, let h): h
        default: ""
        }
    }

    public var exitCode: Int32 { isPermanent ? 2 : 1 }

    /// True for a configuration that cannot work (``misconfigured(_:hint:)``), from any warehouse:
    /// retrying cannot help, so lt-query stops instead of marking lines `unavailable`.
    public var isPermanent: Bool {
        if case .misconfigured = self { return true }
        return false
    }
}

/// The table and column names a query uses, validated so they can be written into SQL unquoted,
/// which lets each database fold their case as it would in a hand-written query.
public struct TableSpec: Sendable, Equatable {
    public var table = "PROD.BUSINESS_INTELLIGENCE.LEARNING_TIME"
    public var userColumn = "USER_ID"
    public var courseColumn = "COURSE_KEY"
    public var enterpriseColumn = "ENTERPRISE_CUSTOMER_UUID"
    public var secondsColumn = "LEARNING_TIME_SECONDS"

    public init() {}

    /// Letters, digits and underscores, not starting with a digit; the table may have dot-separated parts.
    public func validate() throws {
        for (name, value, dotted) in [("--table", table, true), ("--user-column", userColumn, false),
                                      ("--course-column", courseColumn, false), ("--enterprise-column", enterpriseColumn, false),
                                      ("--seconds-column", secondsColumn, false)] {
            guard TableSpec.isIdentifier(value, dotted: dotted) else {
                throw ConfigError("\(name) \"\(value)\" is not a plain SQL identifier",
                                  hint: "use letters, digits and underscores\(dotted ? ", in dot-separated parts" : "") (no quotes or spaces)")
            }
        }
    }

    static func isIdentifier(_ s: String, dotted: Bool) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, dotted || parts.count == 1, parts.count <= 3 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
            return part.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            }
        }
    }
}
