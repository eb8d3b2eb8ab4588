/// Runs an action every `interval` seconds: checked as lines are read (cheaply: the clock is
/// read once every 256 lines) and, through ``tick()``, while the input is waited for.
public final class PeriodicReport {
    private let interval: Double
    private let action: () -> Void
    private var next: Double
    private var lines = 0

    public init(interval: Double, action: @escaping () -> Void) {
        self.interval = interval
        self.action = action
        next = Timestamps.monotonic() + interval
    }

    public func lineRead() {
        lines += 1
        guard lines & 255 == 0 else { return }
        tick()
    }

    /// Runs the action when it is due.
    public func tick() {
        let now = Timestamps.monotonic()
        if now >= next {
            next = now + interval
            action()
        }
    }

    /// How long a wait for input may last before ``tick()`` is called: a quarter of the interval, at most 250 ms.
    public var waitMilliseconds: Int32 { Int32(max(1, min(250, interval * 250))) }
}
