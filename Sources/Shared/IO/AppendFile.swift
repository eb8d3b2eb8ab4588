#if canImport(Glibc)
import Glibc
#endif

/// A file opened for appending whole lines (the dead-letter file), locked against a second writer.
///
/// Each line goes out with its newline in one `write` on an `O_APPEND` descriptor; the result is
/// checked, and a write cut short (a full disk) is truncated back, so the file only ever holds
/// whole lines, and a line that could not be written is an ``IOError`` (exit 74).
public final class AppendFile {
    public let path: String
    private let fd: Int32

    /// Opens `path` for appending; with `lock`, takes an exclusive lock named by it ("the dead-letter file").
    public init(path: String, lock: String? = nil) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw IOError(
                .appending, "cannot open \(path) for appending: \(String(cString: strerror(errno)))",
                hint: "check the path and its permissions")
        }
        if let lock {
            do { try FileLock.acquire(fd: fd, path: path, what: lock) } catch {
                close(fd)
                throw error
            }
        }
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
