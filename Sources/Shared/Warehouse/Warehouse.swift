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
