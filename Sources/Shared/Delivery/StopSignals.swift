#if canImport(Glibc)
import Glibc
#endif

/// Where the event loop learns that it must stop (SIGINT or SIGTERM). Injected into ``Sender``,
/// so that in-process tests can stop a run without touching the test process's signal mask.
public protocol StopSignalSource: AnyObject {
    /// Collects a pending stop signal without waiting; true once one has arrived.
    func check() -> Bool
    /// The signal received, once one has been.
    var received: Int32? { get }
}

extension StopSignalSource {
    /// The exit status for the received signal: 128 plus its number (130, 143).
    public var exitStatus: Int32? { received.map { 128 + $0 } }
}

/// The process's SIGINT and SIGTERM, taken synchronously: both are blocked and collected with
/// `sigtimedwait` from the event loop, so no handler, no global state and no interrupted system calls.
///
/// The default disposition is restored first: a test runner or a shell running a background job
/// may hand down these signals ignored, and an ignored signal never becomes pending.
public final class StopSignals: StopSignalSource {
    private var set = sigset_t()
    public private(set) var received: Int32?

    public init() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    public func check() -> Bool {
        if received != nil { return true }
        var timeout = timespec(tv_sec: 0, tv_nsec: 0)
        let s = sigtimedwait(&set, nil, &timeout)
        if s > 0 { received = s }
        return received != nil
    }
}
