#if canImport(Glibc)
import Glibc
#endif

/// A file opened for appending whole lines (dead-letter file, journal). Each line goes out in one
/// `write` on an `O_APPEND` descriptor, so lines from a crashed run are whole or absent.
public final class AppendFile {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw IOError(.appending, "cannot open \(path) for appending: \(String(cString: strerror(errno)))", hint: "check the path and its permissions")
        }
    }

    deinit { close(fd) }

    /// Appends `bytes` and a newline; with `sync`, waits until they are on disk.
    public func appendLine(_ bytes: UnsafeBufferPointer<UInt8>, sync: Bool = false) throws {
        var line = [UInt8](bytes)
        line.append(0x0A)
        try line.withUnsafeBufferPointer { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; throw IOError(.appending, "cannot write \(path): \(String(cString: strerror(errno)))") }
                off += n
            }
        }
        if sync { fdatasync(fd) }
    }

    public func appendLine(_ bytes: [UInt8], sync: Bool = false) throws {
        try bytes.withUnsafeBufferPointer { try appendLine($0, sync: sync) }
    }
}
