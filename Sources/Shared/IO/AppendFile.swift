#if canImport(Glibc)
import Glibc
#endif

/// A file opened for appending whole lines (the dead-letter file, the attempt log), locked against
/// a second writer, opened through ``StateFile`` (never through a link, created `0600`).
///
/// Each line goes out with its newline in one `write` on an `O_APPEND` descriptor; the result is
/// checked, and a write cut short (a full disk) is truncated back, so the file only ever holds
/// whole lines, and a line that could not be written is an ``IOError`` (exit 74).
public final class AppendFile {
    public let path: String
    private let fd: Int32

    /// Opens `path` for appending; `what` names it in errors ("the dead-letter file"); with
    /// `lock`, takes an exclusive lock on it.
    public init(path: String, what: String, lock: Bool = false) throws {
        self.path = path
        var fd = try StateFile.openForAppending(path, what: what)
        // A run that prunes the file (lt-send --prune-delivered) renames a new one over it while
        // locked: a lock won on the file it replaced would append to a file no longer there, so the
        // path is opened again until the locked file is the one it names.
        for attempt in 0..<8 where lock {
            do { try FileLock.acquire(fd: fd, path: path, what: what) } catch {
                close(fd)
                throw error
            }
            var held = stat()
            var named = stat()
            if attempt == 7 || fstat(fd, &held) != 0 || lstat(path, &named) != 0
                || (held.st_dev == named.st_dev && held.st_ino == named.st_ino)
            {
                break
            }
            close(fd)
            fd = try StateFile.openForAppending(path, what: what)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends `bytes` and a newline, whole or not at all; with `sync`, waits until they are on disk.
    public func appendLine(_ bytes: UnsafeBufferPointer<UInt8>, sync: Bool = false) throws {
        var line = [UInt8](bytes)
        line.append(0x0A)
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError.write(path: path, errno: errno, lines: 1) }
        let before = st.st_size
        try line.withUnsafeBufferPointer { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n > 0 { off += n; continue }
                if n < 0 && errno == EINTR { continue }
                let reason = n < 0 ? errno : ENOSPC
                // Cut short: take the part written back out, so the file never holds half a line.
                if off > 0 { _ = ftruncate(fd, before) }
                throw IOError.write(path: path, errno: reason, lines: 1)
            }
        }
        if sync && fdatasync(fd) != 0 { throw IOError.write(path: path, errno: errno, lines: 1) }
    }

    public func appendLine(_ bytes: [UInt8], sync: Bool = false) throws {
        try bytes.withUnsafeBufferPointer { try appendLine($0, sync: sync) }
    }
}
