/// One key looked up by hand (`lt-query --user … --course … --enterprise …`): the lookup record,
/// plus the key, where the answer came from and how long it took.
public struct AdHocLookup {
    let address: String
    let spec: TableSpec
    let cache: LookupCache?
    let options: LookupOptions
    let diagnostics: Diagnostics

    public init(address: String, spec: TableSpec, cache: LookupCache?, options: LookupOptions, diagnostics: Diagnostics) {
        self.address = address
        self.spec = spec
        self.cache = cache
        self.options = options
        self.diagnostics = diagnostics
    }

    public func record(for key: LookupKey) throws -> [UInt8] {
        let started = Timestamps.monotonic()
        var result: LookupResult
        let now = Timestamps.now()
        if let entry = cache?.get(key, now: now) {
            result = entry.totalSeconds.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: entry.lastUpdated, source: .cache) }
                ?? LookupResult(status: .notFound, lastUpdated: entry.lastUpdated, source: .cache)
        } else {
            do {
                let w = try WarehouseAddress.open(address, spec: spec)
                let total = try w.totals(for: [key])[key]
                let today = Timestamps.todayUTC(now: now)
                result = total.map { LookupResult(status: .found, totalSeconds: $0, lastUpdated: today, source: .warehouse) }
                    ?? LookupResult(status: .notFound, lastUpdated: today, source: .warehouse)
                cache?.put([(key, total)], lastUpdated: today, now: now)
            } catch let e as WarehouseError where e.exitCode != 2 {
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
        json.key("warehouse"); json.string(WarehouseAddress.redacted(address))
        json.key("duration_ms"); json.double(((Timestamps.monotonic() - started) * 1e6).rounded() / 1e3)
        json.endObject()
        return json.bytes
    }
}
