/// How every store fails soft: the first failure gets one warning, the store (or one memcached
/// server) is left alone for a back-off that doubles up to a minute, then tried again; its keys
/// go to the warehouse meanwhile. A store that answers again is said so once, at info level.
///
/// ``StoreGate`` keeps one for the whole store; ``MemcachedStore`` one per server, so that one
/// server down leaves the others in use.
public struct FailSoft: Sendable {
    /// What is failing, for messages: "the cache file:/…", "memcached server 127.0.0.1:11211".
    public let what: String
    private var downUntil = 0.0
    private var backoff: Double
    private let firstBackoff: Double
    private var down = false
    private var warned = false
    static let longestBackoff = 60.0

    /// What the run goes on without: "the cache", "this server".
    public let without: String

    public init(what: String, without: String = "the cache", backoff: Double = 1) {
        self.what = what
        self.without = without
        self.backoff = backoff
        firstBackoff = backoff
    }

    /// False while backing off: leave it alone until then.
    public func isUsable(now: Double) -> Bool { !down || now >= downUntil }

    /// Records a failure: warns the first time, and backs off.
    public mutating func failed(_ error: any Error, now: Double, diagnostics: Diagnostics?) {
        let why = (error as? any LTError)?.message ?? "\(error)"
        if !warned {
            warned = true
            diagnostics?.warning(
                "\(what): \(why); going on without \(without), its keys go to the warehouse",
                hint:
                    "it is tried again after a back-off of \(Int(backoff)) s, doubling up to \(Int(Self.longestBackoff)) s"
            )
        } else {
            diagnostics?.debug("\(what) is still unavailable (\(why)); trying again in \(Int(backoff)) s")
        }
        down = true
        downUntil = now + backoff
        backoff = min(backoff * 2, Self.longestBackoff)
    }

    /// Records a success: a store that was down is back.
    public mutating func succeeded(diagnostics: Diagnostics?) {
        guard down else { return }
        down = false
        backoff = firstBackoff
        diagnostics?.info("\(what) answers again; using it")
    }
}
