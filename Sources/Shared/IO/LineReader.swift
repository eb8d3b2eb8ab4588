#if canImport(Glibc)
import Glibc
#endif

/// One input line as handed out by ``LineReader``: bytes without the line terminator,
/// valid only until the next call to ``LineReader/next()``.
public struct InputLine {
    public let bytes: UnsafeBufferPointer<UInt8>
    public let location: SourceLocation
    /// Set when the line was longer than the reader's limit: `bytes` then holds only its start.
    public let truncatedFrom: Int?

    public init(bytes: UnsafeBufferPointer<UInt8>, location: SourceLocation, truncatedFrom: Int? = nil) {
        self.bytes = bytes
        self.location = location
        self.truncatedFrom = truncatedFrom
    }
}

/// Reads NDJSON from a file descriptor in large chunks and hands out lines without copying.
///
/// Memory stays bounded by the longest line (capped at `maxLineLength`). Before a read that
/// could block, `onWouldBlock` runs, so a caller can flush its output and a slow stream
/// (`tail -F | lt-query`) sees each result promptly while a fast one is written in big chunks.
public final class LineReader {
    public let sourceName: String
    public private(set) var lineNumber = 0
    public var onWouldBlock: (() -> Void)?
    /// Runs for every line handed out, with the bytes it took in the input (terminator included).
    public var onLine: ((Int) -> Void)?
    /// Runs at least every `milliseconds` while the reader waits for input, and at each check for it,
    /// so time-driven work (periodic summaries) happens on time when input only trickles in.
    public var tick: (milliseconds: Int32, action: () -> Void)?
    public let maxLineLength: Int

    private let fd: Int32
    private let ownsFD: Bool
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var eof = false
    private var atStartOfInput = true

    public init(fd: Int32, sourceName: String, ownsFD: Bool = false, chunkSize: Int = 1 << 17, maxLineLength: Int = 64 << 20) {
        self.fd = fd
        self.sourceName = sourceName
        self.ownsFD = ownsFD
        self.capacity = chunkSize
        self.maxLineLength = maxLineLength
        self.buffer = .allocate(capacity: chunkSize)
    }

    /// Opens `path` for reading; `-` is standard input.
    public static func open(_ path: String) throws -> LineReader {
        if path == "-" { return LineReader(fd: 0, sourceName: "<stdin>") }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOError(.reading, "cannot open \(path): \(String(cString: strerror(errno)))", hint: "check the path and its permissions")
        }
        return LineReader(fd: fd, sourceName: path, ownsFD: true)
    }

    deinit {
        buffer.deallocate()
        if ownsFD { close(fd) }
    }

    /// The input's size when it is a regular file, for progress in percent.
    public var regularFileSize: Int? {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG ? Int(st.st_size) : nil
    }

    /// The descriptor read from, for callers that wait on several things at once (lt-send's event loop).
    public var fileDescriptor: Int32 { fd }

    /// True when a whole line is already buffered, so `next()` will not block.
    public var hasBufferedLine: Bool {
        end > start && memchr(buffer + start, 0x0A, end - start) != nil
    }

    /// Waits up to `milliseconds` for input to arrive; true when `next()` can proceed without waiting.
    public func waitForInput(milliseconds: Int32) -> Bool {
        tick?.action()
        if eof || hasBufferedLine { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, milliseconds)
        return r != 0
    }

    /// The next line, or nil at the end of the input. A final line without a newline is still a line;
    /// a trailing `\r` is removed, and so is a UTF-8 byte-order mark at the very start.
    public func next() throws -> InputLine? {
        var scanFrom = start
        while true {
            if end > scanFrom, let nl = memchr(buffer + scanFrom, 0x0A, end - scanFrom) {
                let nlIndex = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                return makeLine(from: start, to: nlIndex, consumedTo: nlIndex + 1, truncatedFrom: nil)
            }
            if eof {
                if end > start { return makeLine(from: start, to: end, consumedTo: end, truncatedFrom: nil) }
                return nil
            }
            if end - start > maxLineLength { return try skipOverlongLine() }
            // fill() may move the buffered bytes to the front, so remember the offset from start.
            let scanned = end - start
            try fill()
            scanFrom = start + scanned
        }
    }

    private func makeLine(from s: Int, to e: Int, consumedTo: Int, truncatedFrom: Int?) -> InputLine {
        lineNumber += 1
        var s = s
        var e = e
        if atStartOfInput {
            atStartOfInput = false
            if e - s >= 3 && buffer[s] == 0xEF && buffer[s + 1] == 0xBB && buffer[s + 2] == 0xBF { s += 3 }
        }
        if e > s && buffer[e - 1] == 0x0D { e -= 1 }
        onLine?(consumedTo - start)
        start = consumedTo
        return InputLine(bytes: UnsafeBufferPointer(start: buffer + s, count: e - s),
                         location: SourceLocation(source: sourceName, line: lineNumber),
                         truncatedFrom: truncatedFrom)
    }

    /// Consumes a line past the length limit, keeping only its first kilobyte for the error record.
    private func skipOverlongLine() throws -> InputLine {
        let keep = 1024
        var total = end - start
        // Keep the head at the front of the buffer, then discard everything up to the newline.
        memmove(buffer, buffer + start, keep)
        start = 0
        end = keep
        while true {
            let before = end
            try fill()
            if end == before && eof { break }
            if let nl = memchr(buffer + before, 0x0A, end - before) {
                let nlIndex = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                total += nlIndex - before
                let rest = end - (nlIndex + 1)
                memmove(buffer + keep, buffer + nlIndex + 1, rest)
                end = keep + rest
                lineNumber += 1
                start = keep
                return InputLine(bytes: UnsafeBufferPointer(start: buffer, count: keep),
                                 location: SourceLocation(source: sourceName, line: lineNumber), truncatedFrom: total)
            }
            total += end - before
            end = keep
        }
        lineNumber += 1
        start = keep
        end = keep
        return InputLine(bytes: UnsafeBufferPointer(start: buffer, count: keep),
                         location: SourceLocation(source: sourceName, line: lineNumber), truncatedFrom: total)
    }

    private func fill() throws {
        if start > 0 && (start == end || end == capacity) {
            memmove(buffer, buffer + start, end - start)
            end -= start
            start = 0
        }
        if end == capacity {
            let newCapacity = capacity * 2
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
        if let onWouldBlock {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) == 0 { onWouldBlock() }
        }
        if let tick {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, tick.milliseconds) == 0 { tick.action() }
        }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 { end += n; return }
            if n == 0 { eof = true; return }
            if errno == EINTR { continue }
            if errno == EAGAIN {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, -1)
                continue
            }
            throw IOError(.reading, "cannot read \(sourceName): \(String(cString: strerror(errno)))")
        }
    }
}
