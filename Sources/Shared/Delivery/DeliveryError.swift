/// A delivery-time failure that is not about one answer (token endpoint, journal).
public typealias DeliveryError = DomainError<DeliveryDomain>

/// The domain of ``DeliveryError``: exit status 1.
public enum DeliveryDomain: ErrorDomain {
    public static var kind: ErrorKind { .failure }
}
