/// How long entries live, the same for every store: found values for ``ttl``, "no data" for
/// ``negativeTTL`` (the specification's hour for both), each shortened at random by up to
/// ``jitter`` so that entries written together (a backfill) do not all expire together.
public struct ExpiryPolicy: Sendable {
    /// The specification's hour, for found values and "no data" alike; written here alone.
    public static let specificationTTL = 3600.0

    public var ttl: Double
    public var negativeTTL: Double
    public var jitter = 0.05
    private var random = SplitMix64()

    public init(ttl: Double = specificationTTL, negativeTTL: Double = specificationTTL) {
        self.ttl = ttl
        self.negativeTTL = negativeTTL
    }

    /// When an entry stored `now` expires.
    public mutating func expiry(found: Bool, now: Double) -> Double {
        now + (found ? ttl : negativeTTL) * (1 - jitter * Double.random(in: 0..<1, using: &random))
    }
}
