/// One key looked up by hand (`lt-query --user … --course … --enterprise …`): the lookup record,
/// plus the key, where the answer came from and how long it took.
public struct AdHocLookup {
    let resolver: LookupResolver

    public init(resolver: LookupResolver) {
        self.resolver = resolver
    }

    /// The record for `key`, resolved as the stream resolves it; a permanent warehouse error
    /// (missing table, failed authentication) throws, a warehouse that cannot be reached gives an
    /// `unavailable` record and an error diagnostic.
    public func record(for key: LookupKey) throws -> [UInt8] {
        let started = Timestamps.monotonic()
        defer { resolver.finish() }
        let result =
            try resolver.known(key)
            ?? resolver.collect(resolver.submit([key]))[key]
            ?? LookupResult(status: .unavailable, error: "the warehouse gave no answer for the key")
        var json = JSONBuffer()
        json.beginObject()
        json.key("key")
        json.beginObject()
        json.key("user_id"); json.int(key.userID)
        json.key("course_id"); json.string(key.courseID)
        json.key("enterprise_customer_uuid"); json.string(key.enterpriseID)
        json.endObject()
        json.key("lookup"); result.write(to: &json)
        json.key("warehouse"); json.string(resolver.warehouseName)
        json.key("duration_ms"); json.double(((Timestamps.monotonic() - started) * 1e6).rounded() / 1e3)
        json.endObject()
        return json.bytes
    }
}
