/// A source of learning-time totals: one round trip answers a whole batch of keys.
public protocol Warehouse: AnyObject {
    /// A description safe to print: passwords and tokens are redacted.
    var displayName: String { get }

    /// The batch's answer: the total seconds of each key that has rows (a NULL sum counts as no
    /// rows), and the keys whose rows cannot make a total set apart with why, so that one bad key
    /// never fails its batch. Throws ``WarehouseError`` when the warehouse cannot answer. This is
    /// the one way to ask a warehouse; every caller (the resolver, ad-hoc lookups) goes through it.
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
}
