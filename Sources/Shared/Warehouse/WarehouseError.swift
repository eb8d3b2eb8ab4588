/// Why the warehouse could not answer.
public enum WarehouseError: LTError {
    /// The connection could not be made or was lost; worth retrying.
    case unavailable(String)
    /// The warehouse did not answer in time (a connect timeout, or no answer within the statement
    /// timeout): a frozen server or a stuck proxy. Retried once; a second timeout opens the breaker.
    case timedOut(String)
    /// The query ran and failed (timeout, permission); worth retrying.
    case queryFailed(String)
    /// A configuration that cannot work (bad URL, missing table): retrying will not help.
    case misconfigured(String, hint: String)

    public var message: String {
        switch self {
        case .unavailable(let m): "warehouse unavailable: \(m)"
        case .timedOut(let m): "warehouse unavailable: \(m)"
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

    public var kind: ErrorKind { isPermanent ? .configuration : .unavailable }

    /// True for a configuration that cannot work (``misconfigured(_:hint:)``), from any warehouse:
    /// retrying cannot help, so lt-query stops instead of marking lines `unavailable`.
    public var isPermanent: Bool {
        if case .misconfigured = self { return true }
        return false
    }
}
