/// Runs an action every `interval` seconds, checked as lines are read (cheaply: the clock is
/// read once every 256 lines).
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
        let now = Timestamps.monotonic()
        if now >= next {
            next = now + interval
            action()
        }
    }
}
