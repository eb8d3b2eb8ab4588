/// The rule that decided whether a line gets learning time: lt-enrich writes it as
/// `enrichment.rule`, and names it with `-v`. The list is fixed (docs/contract.md).
public enum FlagRule: String, Sendable, CaseIterable {
    /// `--flag on|off`.
    case option = "flag"
    /// `ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT`.
    case environment
    /// Nothing set: off, the specification's default.
    case unset = "default"
    /// A rollout file with `"enabled": false`.
    case enabled
    /// The rollout file's lists, in the order they are applied (docs/rollout.md).
    case integrationsOut = "integrations_out"
    case enterprisesOut = "enterprises_out"
    case enterprisesIn = "enterprises_in"
    case integrationsIn = "integrations_in"
    /// The rollout file's `percent`: the enterprise's bucket is below it (on) or not (off).
    case percent
}
