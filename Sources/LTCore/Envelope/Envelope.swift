/// A parsed view of one NDJSON line as it passes between the tools; valid while the line's bytes are.
///
/// A line is an envelope when its object has a `payload` or an `error` member; any other object
/// is a bare webhook payload, handled as `{"payload": <it>}`. Only the members the tools need
/// are located; everything else stays as bytes to be copied on unchanged.
public struct Envelope {
    public let json: JSONScanner
    /// Top-level members of the line (of the payload itself when bare).
    public let members: [JSONMember]
    public let isBare: Bool
    /// The payload's byte range, nil only for an error record without one.
    public let payload: Range<Int>?
    public let payloadMembers: [JSONMember]
    public let error: JSONMember?
    public let lookup: JSONMember?
    public let enrichment: JSONMember?
    public let id: String?
    public let integration: String?
    let keyMember: JSONMember?
    /// The envelope's `event`, which overrides the payload's shape in deciding what the line is.
    let event: JSONMember?

    /// The envelope's own members; none may appear twice (see ``duplicateMember()``).
    static let ownMembers: [StaticString] =
        ["payload", "error", "lookup", "enrichment", "id", "integration", "key", "event"]

    /// Parses `bytes`, throwing an ``InputError`` that says what is wrong with the line.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var s = JSONScanner(bytes)
        let doc: Range<Int>
        do { doc = try s.validateDocument() } catch let e as JSONError { throw InputError(e) }
        json = s
        guard s.kind(at: doc.lowerBound) == .object else {
            throw InputError(
                "line is a JSON \(s.kind(at: doc.lowerBound).rawValue), not an object",
                hint: "each line must be a JSON object: a webhook payload or an lt envelope")
        }
        let (top, payloadObjectMembers) = try s.members(ofObjectAt: doc.lowerBound, withMembersOf: "payload")
        members = top
        let own = s.pick(Self.ownMembers, from: top)  // in the order of ``ownMembers``
        let (payloadM, lookupM, enrichM, idM, integrationM, keyM, eventM) =
            (own[0], own[2], own[3], own[4], own[5], own[6], own[7])
        // `"error": null` is no error.
        let errorM = own[1].flatMap { s.kind(at: $0.valueStart) == .null ? nil : $0 }
        isBare = payloadM == nil && errorM == nil
        if isBare {
            payload = doc
            payloadMembers = top
            error = nil; lookup = nil; enrichment = nil; id = nil; integration = nil; keyMember = nil; event = nil
            return
        }
        error = errorM
        lookup = lookupM
        enrichment = enrichM
        keyMember = keyM
        event = eventM
        id = try Envelope.scalarText(s, idM, name: "id")
        integration = try Envelope.stringValue(s, integrationM, name: "integration")
        if let p = payloadM {
            guard s.kind(at: p.valueStart) == .object else {
                if errorM != nil { payload = nil; payloadMembers = []; return }
                throw InputError(
                    "\"payload\" is a JSON \(s.kind(at: p.valueStart).rawValue), not an object",
                    hint: "the payload must be the webhook's JSON object")
            }
            payload = p.value
            payloadMembers = try payloadObjectMembers ?? s.members(ofObjectAt: p.valueStart)
        } else {
            payload = nil
            payloadMembers = []
        }
    }

    /// True for an error record from an earlier tool or stage.
    public var isErrorRecord: Bool { error != nil }

    /// Course completions are the only payloads that get learning time. An envelope's `event`
    /// decides when present (`"course_completion"` is one; any other value is not), so payloads of
    /// any shape can be marked; otherwise a payload with a `completion` object, or with
    /// `event_type` equal to `course_completion`, is one.
    public var isCourseCompletion: Bool {
        if let event { return json.string(event) == "course_completion" }
        for m in payloadMembers {
            if json.key(of: m, equals: "completion"), json.kind(at: m.valueStart) == .object { return true }
            if json.key(of: m, equals: "event_type"), json.string(m) == "course_completion" { return true }
        }
        return false
    }

    /// The payload's members that decide whether and for whom a lookup is made.
    private static let lookupMembers: [StaticString] = ["user", "course", "enterprise", "completion", "event_type"]
    /// The members of the payload's objects that make its key.
    private static let nestedKeyMembers: [(StaticString, StaticString)] =
        [("user", "id"), ("course", "course_id"), ("enterprise", "enterprise_customer_uuid")]
    private static let keyMembers: [StaticString] = ["user_id", "course_id", "enterprise_customer_uuid"]

    /// The first member that decides the lookup and appears twice in its object, as a dotted path
    /// (`payload.user.id`, `key.course_id`, `lookup`), or nil. Such a line is never looked up or
    /// enriched: another parser could read the other copy and see another learner.
    public func duplicateMember() -> String? {
        if let name = duplicateEnvelopeMember() { return name }
        if let k = keyMember, json.kind(at: k.valueStart) == .object,
            let km = try? json.members(ofObjectAt: k.valueStart),
            let name = DuplicateMembers.first(named: Self.keyMembers, in: km, of: json)
        {
            return "key.\(name)"
        }
        if let name = DuplicateMembers.first(named: Self.lookupMembers, in: payloadMembers, of: json) {
            return "payload.\(name)"
        }
        for (outer, inner) in Self.nestedKeyMembers {
            guard let o = payloadMember(outer), json.kind(at: o.valueStart) == .object,
                let n = try? json.count(of: inner, inObjectAt: o.valueStart)
            else { continue }
            if n > 1 { return "payload.\(outer).\(inner)" }
        }
        return nil
    }

    /// The first of the envelope's own members (`payload`, `integration`, `id`, …) that appears
    /// twice, or nil; lt-send rejects such a line rather than guess where it goes or what it sends.
    public func duplicateEnvelopeMember() -> String? {
        isBare ? nil : DuplicateMembers.first(named: Self.ownMembers, in: members, of: json)
    }

    /// The error for a line whose deciding member appears twice, naming the member.
    public static func duplicateError(_ name: String) -> InputError {
        InputError(
            "duplicate member \"\(name)\"",
            hint: "write each member once: parsers disagree on which copy counts")
    }

    /// The payload member named `name`, if any.
    public func payloadMember(_ name: StaticString) -> JSONMember? {
        payloadMembers.first { json.key(of: $0, equals: name) }
    }

    /// The enterprise UUID as written in the key or the payload, without validating it (for flag rules).
    public var enterpriseID: String? {
        if let k = keyMember, json.kind(at: k.valueStart) == .object,
            let m = try? json.member("enterprise_customer_uuid", ofObjectAt: k.valueStart), let text = json.string(m)
        {
            return text
        }
        guard let e = payloadMember("enterprise"), json.kind(at: e.valueStart) == .object,
            let m = try? json.member("enterprise_customer_uuid", ofObjectAt: e.valueStart)
        else { return nil }
        return json.string(m)
    }

    /// The lookup key: from `key` when the envelope has one, else from the payload's
    /// `user.id`, `course.course_id` and `enterprise.enterprise_customer_uuid`. The enterprise
    /// UUID comes out in lower case (see ``LookupKey``).
    public func lookupKey() throws -> LookupKey {
        var canonical = true
        return try lookupKey(canonical: &canonical)
    }

    /// The lookup key, with `canonical` set to false when the enterprise UUID was written in
    /// another form than its canonical lower case (lt-query warns once per run about that).
    ///
    /// An envelope `key` is for payloads lt cannot read; it never overrides a payload that has
    /// its own `user.id`, `course.course_id` or `enterprise.enterprise_customer_uuid`: each of
    /// those present must agree with the key, or the line is invalid (another learner's time
    /// would otherwise be delivered under this learner's name).
    public func lookupKey(canonical: inout Bool) throws -> LookupKey {
        if let k = keyMember {
            guard json.kind(at: k.valueStart) == .object else {
                throw InputError(
                    "\"key\" is not an object",
                    hint: "key must be {\"user_id\", \"course_id\", \"enterprise_customer_uuid\"}")
            }
            let km = try json.members(ofObjectAt: k.valueStart)
            func find(_ n: StaticString) -> JSONMember? { km.first { json.key(of: $0, equals: n) } }
            let user = try userID(find("user_id"), field: "key.user_id")
            let course = try stringField(find("course_id"), field: "key.course_id")
            let enterprise = try stringField(find("enterprise_customer_uuid"), field: "key.enterprise_customer_uuid")
            let key = try LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "key")
            canonical = enterprise.map(LookupKey.isCanonicalUUID) ?? true
            try checkAgreement(with: key)
            return key
        }
        func nested(_ outer: StaticString, _ inner: StaticString) throws -> JSONMember? {
            guard let o = payloadMember(outer) else { return nil }
            guard json.kind(at: o.valueStart) == .object else {
                throw InputError("payload.\(outer) is a JSON \(json.kind(at: o.valueStart).rawValue), not an object")
            }
            return try json.member(inner, ofObjectAt: o.valueStart)
        }
        let user = try userID(nested("user", "id"), field: "user.id")
        let course = try stringField(nested("course", "course_id"), field: "course.course_id")
        let enterprise = try stringField(
            nested("enterprise", "enterprise_customer_uuid"), field: "enterprise.enterprise_customer_uuid")
        let key = try LookupKey.validated(userID: user, courseID: course, enterpriseID: enterprise, from: "payload")
        canonical = enterprise.map(LookupKey.isCanonicalUUID) ?? true
        return key
    }

    /// Throws a ``KeyDisagreement`` when a part of the payload's own key, where the payload has it in the
    /// specification's shape, differs from the envelope's `key`: `user 12345 ≠ 34567`.
    private func checkAgreement(with key: LookupKey) throws {
        func part(_ outer: StaticString, _ inner: StaticString) -> JSONMember? {
            guard let o = payloadMember(outer), json.kind(at: o.valueStart) == .object else { return nil }
            return try? json.member(inner, ofObjectAt: o.valueStart)
        }
        func shown(_ m: JSONMember) -> String {
            json.string(m).map { "\"\($0.prefix(64))\"" } ?? String(json.text(m.value).prefix(64))
        }
        var differences: [String] = []
        if let m = part("user", "id"), (try? userID(m, field: "user.id")) != key.userID {
            differences.append("user \(key.userID) ≠ \(json.string(m).map { String($0.prefix(64)) } ?? shown(m))")
        }
        if let m = part("course", "course_id"), json.string(m) != key.courseID {
            differences.append("course \(key.courseID) ≠ \(json.string(m).map { String($0.prefix(255)) } ?? shown(m))")
        }
        if let m = part("enterprise", "enterprise_customer_uuid"),
            json.string(m).map({ LookupKey.isUUID($0) ? LookupKey.canonicalUUID($0) : $0 }) != key.enterpriseID
        {
            differences.append(
                "enterprise \(key.enterpriseID) ≠ \(json.string(m).map { String($0.prefix(64)) } ?? shown(m))")
        }
        guard differences.isEmpty else { throw KeyDisagreement(differences) }
    }

    /// A user id: a JSON integer, or a string of digits (accepted, as some producers quote ids).
    private func userID(_ m: JSONMember?, field: String) throws -> Int64? {
        guard let m else {
            throw InputError("missing \(field)", hint: "every completion needs the learner's numeric user id")
        }
        switch json.kind(at: m.valueStart) {
        case .number:
            guard let v = json.int64(m) else {
                throw InputError(
                    "\(field) \(json.text(m.value).prefix(40)) is not an integer", hint: "give a positive whole number")
            }
            return v
        case .string:
            let text = json.string(m) ?? ""
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 &- 0x30 < 10 }), let v = Int64(text) else {
                throw InputError(
                    "\(field) \"\(text.prefix(40))\" is not a number", hint: "give a positive whole number")
            }
            return v
        default:
            throw InputError(
                "\(field) is \(json.kind(at: m.valueStart).rawValue), not an integer",
                hint: "give a positive whole number")
        }
    }

    private func stringField(_ m: JSONMember?, field: String) throws -> String? {
        guard let m else { throw InputError("missing \(field)") }
        guard let text = json.string(m) else {
            throw InputError("\(field) is \(json.kind(at: m.valueStart).rawValue), not a string")
        }
        return text
    }

    private static func stringValue(_ s: JSONScanner, _ m: JSONMember?, name: String) throws -> String? {
        guard let m, s.kind(at: m.valueStart) != .null else { return nil }
        guard let text = s.string(m) else { throw InputError("\"\(name)\" is not a string") }
        return text
    }

    private static func scalarText(_ s: JSONScanner, _ m: JSONMember?, name: String) throws -> String? {
        guard let m else { return nil }
        switch s.kind(at: m.valueStart) {
        case .string: return s.string(m)
        case .number: return s.text(m.value)
        case .null: return nil
        default: throw InputError("\"\(name)\" must be a string or a number")
        }
    }

    /// Writes lt-query's output for this line up to where the lookup record goes:
    /// `{…every member but lookup, byte for byte…,"lookup":`. A bare payload is wrapped first.
    public func writeLookupPrefix(to out: inout JSONBuffer) {
        out.beginObject()
        if isBare {
            out.key("payload"); out.raw(json.bytes(payload!))
        } else {
            for m in members where !json.key(of: m, equals: "lookup") {
                out.rawMember(json.bytes(m.whole))
            }
        }
        out.key("lookup")
    }
}
