extension RolloutRules {
    /// The members a rollout file may have; any other is an error, so that a typo in a kill switch is loud.
    static let fileMembers = [
        "enabled", "percent", "enterprises_in", "enterprises_out", "integrations_in", "integrations_out",
    ]

    /// Reads a rollout file's JSON text (format in docs/rollout.md), throwing a ``ConfigError`` that names the culprit.
    public static func parse(_ bytes: [UInt8], file: String) throws -> RolloutRules {
        try bytes.withUnsafeBufferPointer { buf in
            let s = JSONScanner(buf)
            let doc: Range<Int>
            do { doc = try s.document() } catch let e as JSONError {
                throw ConfigError(
                    "rollout file \(file) is not valid JSON: \(e.message) (byte \(e.offset + 1))",
                    hint: "fix the file; see docs/rollout.md")
            }
            guard s.kind(at: doc.lowerBound) == .object else {
                throw ConfigError(
                    "rollout file \(file) is a JSON \(s.kind(at: doc.lowerBound).rawValue), not an object",
                    hint: "write an object such as {\"enabled\": true, \"percent\": 10}")
            }
            var rules = RolloutRules(enabled: false)
            var sawEnabled = false
            for m in try s.members(ofObjectAt: doc.lowerBound) {
                let name = s.keyText(m)
                func fail(_ what: String, _ hint: String) -> ConfigError {
                    ConfigError("rollout file \(file): \"\(name)\" \(what)", hint: hint)
                }
                switch name {
                case "enabled":
                    guard s.kind(at: m.valueStart) == .bool else {
                        throw fail("must be true or false", "write \"enabled\": false to turn enrichment off")
                    }
                    rules.enabled = s[m.valueStart] == UInt8(ascii: "t")
                    sawEnabled = true
                case "percent":
                    rules.percentHundredths = try percentHundredths(
                        s.text(m.value), isNumber: s.kind(at: m.valueStart) == .number, fail: fail)
                case "enterprises_in", "enterprises_out", "integrations_in", "integrations_out":
                    guard s.kind(at: m.valueStart) == .array else {
                        throw fail(
                            "must be an array of strings", "for example [\"a1b2c3d4-e5f6-7890-abcd-ef1234567890\"]")
                    }
                    var names: Set<String> = []
                    var i = s.skipWhitespace(m.valueStart + 1)
                    while i < m.valueEnd - 1 {
                        guard s.kind(at: i) == .string else { throw fail("must hold only strings", "quote every name") }
                        let end = try s.stringEnd(from: i).end
                        let text = s.decodeString(i..<end) ?? ""
                        if name.hasPrefix("enterprises") {
                            guard LookupKey.isUUID(text) else {
                                throw fail(
                                    "holds \"\(text)\", which is not an enterprise UUID", "use the 8-4-4-4-12 form")
                            }
                            names.insert(text.lowercased())
                        } else {
                            names.insert(text)
                        }
                        i = s.skipWhitespace(end)
                        if s[i] == UInt8(ascii: ",") { i = s.skipWhitespace(i + 1) }
                    }
                    switch name {
                    case "enterprises_in": rules.enterprisesIn = names
                    case "enterprises_out": rules.enterprisesOut = names
                    case "integrations_in": rules.integrationsIn = names
                    default: rules.integrationsOut = names
                    }
                default:
                    throw fail("is not a rollout setting", "the settings are \(fileMembers.joined(separator: ", "))")
                }
            }
            guard sawEnabled else {
                throw ConfigError(
                    "rollout file \(file) has no \"enabled\"", hint: "add \"enabled\": true or \"enabled\": false")
            }
            return rules
        }
    }

    /// A percentage written as a plain decimal with at most two decimals (`25`, `12.5`, `0.01`), in hundredths.
    static func percentHundredths(_ text: String, isNumber: Bool, fail: (String, String) -> ConfigError) throws -> Int {
        let hint = "write a number from 0 to 100 with at most two decimals, such as 25 or 12.5"
        guard isNumber else { throw fail("must be a number from 0 to 100", hint) }
        if text.hasPrefix("-") { throw fail("is \(text), outside 0 to 100", hint) }
        guard !text.contains(where: { $0 == "e" || $0 == "E" }) else {
            throw fail("is \(text); write it without an exponent", hint)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 2 else { throw fail("is \(text), more precise than hundredths of a percent", hint) }
        guard parts[0].count <= 4, let whole = Int(parts[0]) else { throw fail("is \(text), outside 0 to 100", hint) }
        var hundredths = whole * 100
        for (i, c) in fraction.utf8.enumerated() { hundredths += Int(c - UInt8(ascii: "0")) * (i == 0 ? 10 : 1) }
        guard hundredths <= 10000 else { throw fail("is \(text), outside 0 to 100", hint) }
        return hundredths
    }
}
