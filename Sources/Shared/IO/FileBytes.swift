#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads for small files (configuration, secrets), without Foundation.
public enum FileBytes {
    public static func read(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
        return nil
    }

    /// Modification time and size, to notice that a file changed.
    public static func signature(_ path: String) -> (mtime: Double, size: Int)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9, Int(st.st_size))
    }
}
