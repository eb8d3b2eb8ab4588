#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a state file, held for the life of this value: a second writer (another
/// lt-send on the same journal or dead-letter file) is refused at once, and told who holds it.
///
/// A POSIX record lock on its own descriptor, so the kernel releases it when the process ends,
/// however it ends, and `F_GETLK` names the process holding it.
public final class FileLock {
    public let path: String
    private let fd: Int32

    /// Locks `path` (created if missing); `what` names the file in the error ("the journal").
    public init(path: String, what: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw ConfigError(
                    "the lock file of \(what) \(path) is a symbolic link; lt never writes through a link",
                    hint: "remove the link")
            }
            throw ConfigError(
                "cannot open \(path) to lock \(what): \(String(cString: strerror(errno)))",
                hint: "check the path and its permissions")
        }
        do { try FileLock.acquire(fd: fd, path: path, what: what) } catch {
            close(fd)
            throw error
        }
    }

    /// Takes the lock on `fd`, an open descriptor of `path` (opened for writing), or throws naming its holder.
    static func acquire(fd: Int32, path: String, what: String) throws {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        if fcntl(fd, F_SETLK, &lock) == 0 { return }
        let reason = errno
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        let holder = fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != Int16(F_UNLCK) ? " (pid \(probe.l_pid))" : ""
        guard reason == EAGAIN || reason == EACCES else {
            throw ConfigError(
                "cannot lock \(what) \(path): \(String(cString: strerror(reason)))",
                hint: "put it on a local filesystem that supports locks")
        }
        throw ConfigError(
            "\(what) \(path) is in use by another process\(holder)",
            hint: "one lt-send at a time may write it: wait for that one to end, or give this run its own file")
    }

    deinit { close(fd) }
}
