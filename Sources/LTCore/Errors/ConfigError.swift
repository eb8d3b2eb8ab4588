/// A configuration problem found at start-up (bad address, missing table, bad file contents, a bad
/// rollout file or flag setting): retrying cannot help, and the tool stops. (A rollout file that goes
/// bad during a run is a warning instead, and the last good setting stays in force.)
public typealias ConfigError = DomainError<ConfigurationDomain>

/// The domain of ``ConfigError``: exit status 2.
public enum ConfigurationDomain: ErrorDomain {
    public static var kind: ErrorKind { .configuration }
}
