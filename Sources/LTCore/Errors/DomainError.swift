/// The kind every error of one domain has; a domain is an empty enum naming it
/// (``InputDomain``, ``ConfigurationDomain``, `DeliveryDomain`).
public protocol ErrorDomain {
    static var kind: ErrorKind { get }
}

/// An error that is a message and a hint and nothing more, typed by its domain, so that
/// `catch let e as ConfigError` still tells a configuration problem from a bad input line while
/// every such error is written once. Domains with more to say (``IOError``, ``JSONError``) have
/// types of their own.
public struct DomainError<Domain: ErrorDomain>: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { Domain.kind }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
