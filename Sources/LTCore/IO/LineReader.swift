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
/// Memory stays bounded by the longest line, and never grows past `maxLineLength` plus one
/// chunk: a longer line, from a pipe, a regular file or a file argument alike, is handed out cut
/// to its first kilobyte with its full length in ``InputLine/truncatedFrom``. Before a read that
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
    /// The most the buffer grows to: a line at the limit, plus one read.
    private let capacityLimit: Int
    private let chunkSize: Int
    private var start = 0
    private var end = 0
    private var eof = false
    private var atStartOfInput = true

    public init(
        fd: Int32, sourceName: String, ownsFD: Bool = false, chunkSize: Int = 1 << 17, maxLineLength: Int = 64 << 20
    ) {
        self.fd = fd
        self.sourceName = sourceName
        self.ownsFD = ownsFD
        self.capacity = chunkSize
        self.chunkSize = chunkSize
        self.capacityLimit = maxLineLength + chunkSize + 1
        self.maxLineLength = maxLineLength
        // malloc, so that growing can realloc (see fill()).
        guard let memory = malloc(chunkSize) else { fatalError("out of memory for a \(chunkSize)-byte read buffer") }
        self.buffer = memory.assumingMemoryBound(to: UInt8.self)
    }

    /// Opens `path` for reading; `-` is standard input.
    public static func open(_ path: String) throws -> LineReader {
        if path == "-" { return LineReader(fd: 0, sourceName: "<stdin>") }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOError(
                .reading, "cannot open \(path): \(String(cString: strerror(errno)))",
                hint: "check the path and its permissions")
        }
        return LineReader(fd: fd, sourceName: path, ownsFD: true)
    }

    deinit {
        free(buffer)
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
                return checkedLine(from: start, to: nlIndex, consumedTo: nlIndex + 1)
            }
            if eof {
                if end > start { return checkedLine(from: start, to: end, consumedTo: end) }
                return nil
            }
            if end - start > maxLineLength { return try skipOverlongLine() }
            // fill() may move the buffered bytes to the front, so remember the offset from start.
            let scanned = end - start
            try fill()
            scanFrom = start + scanned
        }
    }

    /// The whole line, or its first kilobyte when it is over the limit (a read from a regular file
    /// can bring a long line and its newline at once).
    private func checkedLine(from s: Int, to e: Int, consumedTo: Int) -> InputLine {
        var length = e - s
        if e > s && buffer[e - 1] == 0x0D { length -= 1 }
        guard length > maxLineLength else {
            return makeLine(from: s, to: e, consumedTo: consumedTo, truncatedFrom: nil)
        }
        return makeLine(from: s, to: s + min(1024, maxLineLength), consumedTo: consumedTo, truncatedFrom: length)
    }

    /// The buffer's size now, for tests of the memory bound.
    var bufferCapacity: Int { capacity }

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
        return InputLine(
            bytes: UnsafeBufferPointer(start: buffer + s, count: e - s),
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
                return InputLine(
                    bytes: UnsafeBufferPointer(start: buffer, count: keep),
                    location: SourceLocation(source: sourceName, line: lineNumber), truncatedFrom: total)
            }
            total += end - before
            end = keep
        }
        lineNumber += 1
        start = keep
        end = keep
        return InputLine(
            bytes: UnsafeBufferPointer(start: buffer, count: keep),
            location: SourceLocation(source: sourceName, line: lineNumber), truncatedFrom: total)
    }

    private func fill() throws {
        if start > 0 && (start == end || end == capacity) {
            memmove(buffer, buffer + start, end - start)
            end -= start
            start = 0
        }
        if end == capacity && capacity < capacityLimit {
            // Past a megabyte, straight to the limit: copying a long line while growing would need
            // twice its memory. Pages are only touched as reads fill them (each read at most doubles
            // the unread data), so a 2 MB line costs a few MB, and a 64 MiB one 64 MiB.
            let newCapacity = capacity < 1 << 20 ? min(capacity * 2, capacityLimit) : capacityLimit
            guard let grown = realloc(buffer, newCapacity) else {
                throw ConfigError("out of memory reading \(sourceName): a line needs over \(capacity) bytes")
            }
            buffer = grown.assumingMemoryBound(to: UInt8.self)
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
            let n = read(fd, buffer + end, min(capacity - end, max(chunkSize, end - start)))
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
