/// The outcome of a lookup, as lt-query writes it under `lookup`.
public enum LookupStatus: String, Sendable, CaseIterable {
    /// The warehouse has rows for the key; `total_seconds` is their sum.
    case found
    /// The warehouse has no rows for the key.
    case notFound = "not_found"
    /// The warehouse could not be asked (down, timed out, circuit open).
    case unavailable
    /// No lookup was made: not a course completion, or enrichment is off for the line.
    case skipped
    /// The key in the line is not usable (wrong type, not a UUID, …).
    case invalid
}

/// Where a value came from.
public enum LookupSource: String, Sendable {
    case cache, warehouse
}

/// A lookup record: status, total, the date the total was read, where it came from and why it failed.
public struct LookupResult: Sendable, Equatable {
    public var status: LookupStatus
    public var totalSeconds: Int64?
    /// The UTC date the value was read from the warehouse, as `YYYY-MM-DDT00:00:00Z`.
    public var lastUpdated: String?
    public var source: LookupSource?
    public var error: String?
    public var reason: String?

    public init(
        status: LookupStatus, totalSeconds: Int64? = nil, lastUpdated: String? = nil,
        source: LookupSource? = nil, error: String? = nil, reason: String? = nil
    ) {
        self.status = status
        self.totalSeconds = totalSeconds
        self.lastUpdated = lastUpdated
        self.source = source
        self.error = error
        self.reason = reason
    }

    // Once per line: built for speed even in the -Osize release build (scripts/build-release.sh).
    @_optimize(speed)
    public func write(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("status"); json.string(status.rawValue)
        json.member("total_seconds", totalSeconds)
        json.member("last_updated", lastUpdated)
        json.member("source", source?.rawValue)
        json.member("reason", reason)
        json.member("error", error)
        json.endObject()
    }

    /// Reads a lookup record from the object at `i`, rejecting fields of the wrong type.
    public static func parse(_ s: JSONScanner, objectAt i: Int) throws -> LookupResult {
        guard s.kind(at: i) == .object else {
            throw InputError("\"lookup\" is not an object", hint: "let lt-query write the lookup member")
        }
        var result = LookupResult(status: .invalid)
        var sawStatus = false
        let members = try s.members(ofObjectAt: i)
        if let name = DuplicateMembers.first(in: members, of: s) {
            throw InputError(
                "duplicate member \"\(name.prefix(40))\" in lookup",
                hint: "let lt-query write the lookup member; a line must not carry it twice")
        }
        for m in members {
            if s.key(of: m, equals: "status") {
                guard let st = s.string(m).flatMap(LookupStatus.init(rawValue:)) else {
                    throw InputError(
                        "lookup.status \(s.text(m.value).prefix(40)) is not one of \(LookupStatus.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                result.status = st
                sawStatus = true
            } else if s.key(of: m, equals: "total_seconds") {
                if s.kind(at: m.valueStart) == .null { continue }
                guard let v = s.int64(m) else {
                    throw InputError(
                        "lookup.total_seconds \(s.text(m.value).prefix(40)) is not an integer",
                        hint: "total_seconds must be a whole number of seconds")
                }
                result.totalSeconds = v
            } else if s.key(of: m, equals: "last_updated") {
                if s.kind(at: m.valueStart) == .null { continue }
                let text = s.string(m) ?? ""
                guard Timestamps.isUTCTimestamp(text) else {
                    throw InputError(
                        "lookup.last_updated \(s.text(m.value).prefix(40)) is not a UTC timestamp",
                        hint: "use the form 2026-01-10T00:00:00Z")
                }
                result.lastUpdated = text
            } else if s.key(of: m, equals: "source") {
                result.source = s.string(m).flatMap(LookupSource.init(rawValue:))
            } else if s.key(of: m, equals: "error") {
                result.error = s.string(m)
            } else if s.key(of: m, equals: "reason") {
                result.reason = s.string(m)
            }
        }
        guard sawStatus else { throw InputError("lookup has no status", hint: "let lt-query write the lookup member") }
        return result
    }
}
