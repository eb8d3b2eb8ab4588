/// What lt-enrich decided for one line and why, as it writes it under the envelope's `enrichment`
/// and as lt-send copies it into each result and attempt record:
///
///     {"learning_time":false,"reason":"flag_off","rule":"enterprises_out","lookup_status":"skipped",
///      "key":{"user_id":12345,"course_id":"course-v1:…","enterprise_customer_uuid":"a1b2…"}}
///
/// Ids only: the key's three parts, never an email or a name. Every member but `learning_time`
/// is optional; `reason`, `rule`, `lookup_status` and `lookup_source` come from fixed lists
/// (docs/contract.md), so that "why did learner X get no learning time?" is one `jq` over results.
public struct EnrichmentDecision: Sendable, Equatable {
    /// True when the payload carries learning time.
    public var learningTime: Bool
    /// Why learning time was left out; nil when it was added (or, read back, when the reason is unknown).
    public var reason: OmissionReason?
    /// The flag's rule that decided, for completions.
    public var rule: FlagRule?
    /// The total added, when added.
    public var totalSeconds: Int64?
    public var lookupStatus: LookupStatus?
    public var lookupSource: LookupSource?
    /// The lookup key, when the line has one that can be read (canonical: UUID in lower case).
    public var key: LookupKey?

    public init(
        learningTime: Bool = false, reason: OmissionReason? = nil, rule: FlagRule? = nil, totalSeconds: Int64? = nil,
        lookupStatus: LookupStatus? = nil, lookupSource: LookupSource? = nil, key: LookupKey? = nil
    ) {
        self.learningTime = learningTime
        self.reason = reason
        self.rule = rule
        self.totalSeconds = totalSeconds
        self.lookupStatus = lookupStatus
        self.lookupSource = lookupSource
        self.key = key
    }

    /// Writes the `enrichment` object.
    public func write(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("learning_time"); json.bool(learningTime)
        json.member("reason", reason?.rawValue)
        json.member("rule", rule?.rawValue)
        json.member("total_seconds", totalSeconds)
        json.member("lookup_status", lookupStatus?.rawValue)
        json.member("lookup_source", lookupSource?.rawValue)
        if let key {
            json.key("key")
            Self.write(key, to: &json)
        }
        json.endObject()
    }

    /// The members lt-send copies into each result and attempt record, after its own
    /// `learning_time`: `reason`, `rule`, `lookup_status`, `lookup_source` and `key`, each null
    /// when unknown (`decision` nil: the line had no readable `enrichment`).
    public static func writeResultMembers(_ decision: EnrichmentDecision?, to json: inout JSONBuffer) {
        json.key("reason"); json.stringOrNull(decision?.reason?.rawValue)
        json.key("rule"); json.stringOrNull(decision?.rule?.rawValue)
        json.key("lookup_status"); json.stringOrNull(decision?.lookupStatus?.rawValue)
        json.key("lookup_source"); json.stringOrNull(decision?.lookupSource?.rawValue)
        json.key("key")
        if let key = decision?.key { write(key, to: &json) } else { json.null() }
    }

    /// A key as `{"user_id":…,"course_id":…,"enterprise_customer_uuid":…}`.
    public static func write(_ key: LookupKey, to json: inout JSONBuffer) {
        json.beginObject()
        json.key("user_id"); json.int(key.userID)
        json.key("course_id"); json.string(key.courseID)
        json.key("enterprise_customer_uuid"); json.string(key.enterpriseID)
        json.endObject()
    }

    /// Reads an `enrichment` object written by lt-enrich. Only known values of the fixed lists and a
    /// key that passes the key's checks are taken; anything else is left out, so that nothing an
    /// upstream producer wrote there reaches a result unchecked. Returns nil when the object has no
    /// boolean `learning_time`.
    public static func parse(_ s: JSONScanner, objectAt i: Int) -> EnrichmentDecision? {
        guard s.kind(at: i) == .object, let members = try? s.members(ofObjectAt: i),
            DuplicateMembers.first(in: members, of: s) == nil
        else { return nil }
        var d = EnrichmentDecision()
        var added: Bool?
        for m in members {
            if s.key(of: m, equals: "learning_time") {
                added = s.bool(m)
                d.learningTime = added ?? false
            } else if s.key(of: m, equals: "reason") {
                d.reason = s.string(m).flatMap(OmissionReason.init(rawValue:))
            } else if s.key(of: m, equals: "rule") {
                d.rule = s.string(m).flatMap(FlagRule.init(rawValue:))
            } else if s.key(of: m, equals: "total_seconds") {
                d.totalSeconds = s.kind(at: m.valueStart) == .number ? s.int64(m).flatMap { $0 >= 0 ? $0 : nil } : nil
            } else if s.key(of: m, equals: "lookup_status") {
                d.lookupStatus = s.string(m).flatMap(LookupStatus.init(rawValue:))
            } else if s.key(of: m, equals: "lookup_source") {
                d.lookupSource = s.string(m).flatMap(LookupSource.init(rawValue:))
            } else if s.key(of: m, equals: "key") {
                d.key = parseKey(s, m)
            }
        }
        guard let added else { return nil }
        if added { d.reason = nil } else { d.totalSeconds = nil }
        return d
    }

    private static func parseKey(_ s: JSONScanner, _ m: JSONMember) -> LookupKey? {
        guard s.kind(at: m.valueStart) == .object, let km = try? s.members(ofObjectAt: m.valueStart),
            DuplicateMembers.first(in: km, of: s) == nil
        else { return nil }
        func find(_ n: StaticString) -> JSONMember? { km.first { s.key(of: $0, equals: n) } }
        guard let u = find("user_id"), s.kind(at: u.valueStart) == .number, let user = s.int64(u),
            let course = find("course_id").flatMap(s.string),
            let enterprise = find("enterprise_customer_uuid").flatMap(s.string)
        else { return nil }
        return try? LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "enrichment")
    }
}
