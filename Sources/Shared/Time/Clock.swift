#if canImport(Glibc)
import Glibc
#endif

/// Blocking waits, for the single-threaded tools.
public enum Clock {
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&ts, &remaining) != 0 && errno == EINTR { ts = remaining }
    }
}
