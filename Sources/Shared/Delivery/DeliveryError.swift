/// A delivery-time failure that is not about one answer (token endpoint, journal).
public struct DeliveryError: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .failure }

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }
}
