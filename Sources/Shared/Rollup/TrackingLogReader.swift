import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// Reads a tracking log line by line, plain or gzip-compressed (told by its content, as zcat -f
/// does; concatenated gzip members, as rotated logs give, are read through), from a file or
/// standard input. Lines are handed out without copying, valid until the next call.
///
/// Why not ``LineReader``: it reads a file descriptor with read(2), and zlib's `gzread` has to sit
/// between the descriptor and the lines. Memory is bounded the same way: a line over
/// `maxLineLength` is skipped and reported, not buffered.
public final class TrackingLogReader {
    public let sourceName: String
    // Unchecked exclusivity: one reader is used from one thread, and the run-time checks cost a
    // visible share of a rollup (perf, bench/rollup).
    @exclusivity(unchecked) public private(set) var lineNumber = 0
    public let maxLineLength: Int
    private let file: gzFile
    @exclusivity(unchecked) private var buffer: [UInt8]
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var eof = false

    /// One line, or a line that was over the limit (its bytes are not kept).
    public enum Line {
        case line(UnsafeBufferPointer<UInt8>)
        case tooLong
    }

    /// Opens `path`; `-` is standard input.
    public init(path: String, maxLineLength: Int = 1 << 20) throws {
        sourceName = path == "-" ? "<stdin>" : path
        self.maxLineLength = maxLineLength
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOError(
                .reading, "cannot open \(path): \(String(cString: strerror(errno)))",
                hint: "check the path and its permissions")
        }
        guard let f = gzdopen(fd, "rb") else {
            close(fd)
            throw IOError(.reading, "cannot read \(sourceName): out of memory")
        }
        file = f
        gzbuffer(file, 1 << 17)
        // Reads of at least twice zlib's buffer go straight into ours, without its extra copy.
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    deinit { gzclose_r(file) }

    /// Calls `body` with each line and its 1-based number; a final line without a newline is a
    /// line; a trailing `\r` is removed.
    @_optimize(speed)
    public func forEachLine(_ body: (Line, Int) throws -> Void) throws {
        var skipping = false
        while true {
            let found = buffer.withUnsafeBufferPointer { b -> Int? in
                guard end > start, let p = memchr(b.baseAddress! + start, 0x0A, end - start) else { return nil }
                return UnsafeRawPointer(b.baseAddress!).distance(to: UnsafeRawPointer(p))
            }
            if let nl = found {
                lineNumber += 1
                if skipping {
                    skipping = false
                    try body(.tooLong, lineNumber)
                } else {
                    try hand(from: start, to: nl, body)
                }
                start = nl + 1
                continue
            }
            if eof {
                if end > start || skipping {
                    lineNumber += 1
                    if skipping { try body(.tooLong, lineNumber) } else { try hand(from: start, to: end, body) }
                }
                return
            }
            if end - start > maxLineLength {
                // Drop what is buffered of the overlong line and read on to its end.
                skipping = true
                start = 0
                end = 0
            }
            try fill()
        }
    }

    private func hand(from s: Int, to e: Int, _ body: (Line, Int) throws -> Void) throws {
        var e = e
        if e > s && buffer[e - 1] == 0x0D { e -= 1 }
        if e - s > maxLineLength { return try body(.tooLong, lineNumber) }
        try buffer.withUnsafeBufferPointer { b in
            try body(.line(UnsafeBufferPointer(rebasing: b[s..<e])), lineNumber)
        }
    }

    private func fill() throws {
        if start > 0 {
            let n = end - start
            if n > 0 {
                buffer.withUnsafeMutableBufferPointer { _ = memmove($0.baseAddress!, $0.baseAddress! + start, n) }
            }
            end = n
            start = 0
        }
        if buffer.count - end < 1 << 18 { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let want = UInt32(min(buffer.count - end, 1 << 30))
        let n = buffer.withUnsafeMutableBufferPointer { gzread(file, $0.baseAddress! + end, want) }
        if n < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
            throw IOError(
                .reading, "cannot read \(sourceName) at line \(lineNumber + 1): \(message)",
                hint: "check that the file is whole (a cut gzip file ends in an error)")
        }
        if n == 0 { eof = true }
        end += Int(n)
    }
}
