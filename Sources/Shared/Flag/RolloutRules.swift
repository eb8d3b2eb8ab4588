import Crypto

/// Who gets learning time: the content of a rollout file, or a plain on/off.
///
/// A line is decided in this order (docs/rollout.md):
/// 1. `enabled` false: off for every line.
/// 2. its integration is in `integrations_out`, or its enterprise in `enterprises_out`: off.
/// 3. its enterprise is in `enterprises_in`, or its integration in `integrations_in`: on.
/// 4. otherwise on when the enterprise's ``bucket(ofEnterprise:)`` is below `percent` × 100.
public struct RolloutRules: Sendable, Equatable {
    public var enabled: Bool
    /// The share of the remaining enterprises that are in, in hundredths of a percent (0…10000).
    public var percentHundredths: Int
    /// Lower-cased enterprise UUIDs.
    public var enterprisesIn: Set<String>
    public var enterprisesOut: Set<String>
    public var integrationsIn: Set<String>
    public var integrationsOut: Set<String>

    public init(
        enabled: Bool, percentHundredths: Int = 10000, enterprisesIn: Set<String> = [],
        enterprisesOut: Set<String> = [],
        integrationsIn: Set<String> = [], integrationsOut: Set<String> = []
    ) {
        self.enabled = enabled
        self.percentHundredths = percentHundredths
        self.enterprisesIn = Set(enterprisesIn.map { $0.lowercased() })
        self.enterprisesOut = Set(enterprisesOut.map { $0.lowercased() })
        self.integrationsIn = integrationsIn
        self.integrationsOut = integrationsOut
    }

    /// What the rules say for every line, when they do not depend on the line.
    public enum Uniform: Sendable { case allOn, allOff, perLine }

    public var uniform: Uniform {
        if !enabled { return .allOff }
        if enterprisesIn.isEmpty && enterprisesOut.isEmpty && integrationsIn.isEmpty && integrationsOut.isEmpty {
            if percentHundredths >= 10000 { return .allOn }
            if percentHundredths <= 0 { return .allOff }
        }
        return .perLine
    }

    /// Whether lines of this enterprise UUID and integration name get learning time.
    public func includes(enterprise: String?, integration: String?) -> Bool {
        decide(enterprise: enterprise, integration: integration).on
    }

    /// Whether lines of this enterprise UUID (compared in lower case) and integration get
    /// learning time, and the rule that decided.
    public func decide(enterprise: String?, integration: String?) -> (on: Bool, rule: FlagRule) {
        guard enabled else { return (false, .enabled) }
        let ent = enterprise?.lowercased()
        if let integration, integrationsOut.contains(integration) { return (false, .integrationsOut) }
        if let ent, enterprisesOut.contains(ent) { return (false, .enterprisesOut) }
        if let ent, enterprisesIn.contains(ent) { return (true, .enterprisesIn) }
        if let integration, integrationsIn.contains(integration) { return (true, .integrationsIn) }
        if percentHundredths >= 10000 { return (true, .percent) }
        guard percentHundredths > 0, let ent else { return (false, .percent) }
        return (RolloutRules.bucket(ofEnterprise: ent) < percentHundredths, .percent)
    }

    /// The enterprise's stable rollout bucket, 0…9999: the first 8 bytes of the SHA-256 of the
    /// UUID's text in lower case (UTF-8, as written, normally `8-4-4-4-12` with hyphens), read as a
    /// big-endian unsigned 64-bit integer, modulo 10000.
    public static func bucket(ofEnterprise uuid: String) -> Int {
        let digest = SHA256.hash(data: Array(uuid.lowercased().utf8))
        var v: UInt64 = 0
        for (i, byte) in digest.enumerated() where i < 8 { v = v << 8 | UInt64(byte) }
        return Int(v % 10000)
    }

    /// One line for messages: `enabled for 25% of enterprises, 2 always in, 1 integration always out`.
    public var summary: String {
        guard enabled else { return "off for every line" }
        var parts: [String] = []
        let whole = percentHundredths / 100
        let frac = percentHundredths % 100
        let percent = frac == 0 ? "\(whole)" : "\(whole).\(frac < 10 ? "0" : "")\(frac % 10 == 0 ? frac / 10 : frac)"
        parts.append("on for \(percent)% of enterprises")
        func count(_ n: Int, _ what: String, _ side: String) {
            if n > 0 { parts.append("\(n) \(what)\(n == 1 ? "" : "s") always \(side)") }
        }
        count(enterprisesIn.count, "enterprise", "in")
        count(enterprisesOut.count, "enterprise", "out")
        count(integrationsIn.count, "integration", "in")
        count(integrationsOut.count, "integration", "out")
        return parts.joined(separator: ", ")
    }
}
