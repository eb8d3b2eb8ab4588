/// One key looked up by hand (`lt-query --user … --course … --enterprise …`): the lookup record,
/// plus the key, where the answer came from and how long it took.
public struct AdHocLookup {
    let warehouse: Warehouse
    let cache: LookupCache?
    let diagnostics: Diagnostics

    public init(warehouse: Warehouse, cache: LookupCache?, diagnostics: Diagnostics) {
        self.warehouse = warehouse
        self.cache = cache
        self.diagnostics = diagnostics
    }

    /// The record for `key`; a configuration mistake (missing table) throws, a warehouse that
    /// cannot be reached gives an `unavailable` record and an error diagnostic.
    public func record(for key: LookupKey) throws -> [UInt8] {
        let started = Timestamps.monotonic()
        var result: LookupResult
        let now = Timestamps.now()
        if let entry = cache?.get(key, now: now) {
            result = entry.result
        } else {
            do {
                let total = try warehouse.totals(for: [key])[key]
                let today = Timestamps.todayUTC(now: now)
                if let total, total < 0 {
                    let message = "the warehouse total for \(key) is \(total) seconds, which is negative"
                    diagnostics.error("\(message); check the rows of that key in the warehouse")
                    result = LookupResult(status: .unavailable, error: message)
                } else {
                    result = total.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: today, source: .warehouse) }
                        ?? LookupResult(status: .notFound, lastUpdated: today, source: .warehouse)
                    cache?.put([(key, total)], lastUpdated: today, now: now)
                    cache?.flush()
                }
            } catch let e as WarehouseError where e.kind != .configuration {
                diagnostics.error(e.description)
                result = LookupResult(status: .unavailable, error: e.description)
            }
        }
        var json = JSONBuffer()
        json.beginObject()
        json.key("key")
        json.beginObject()
        json.key("user_id"); json.int(key.userID)
        json.key("course_id"); json.string(key.courseID)
        json.key("enterprise_customer_uuid"); json.string(key.enterpriseID)
        json.endObject()
        json.key("lookup"); result.write(to: &json)
        json.key("warehouse"); json.string(warehouse.displayName)
        json.key("duration_ms"); json.double(((Timestamps.monotonic() - started) * 1e6).rounded() / 1e3)
        json.endObject()
        return json.bytes
    }
}
