import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// Reads a tracking log in chunks of whole lines, plain or gzip-compressed (told by its content, as
/// zcat -f does; concatenated gzip members, as rotated logs give, are read through), from a file or
/// standard input. Chunks, not lines, so that several threads can parse one log
/// (``LearningTimeRollup/read(_:threads:)``); ``TrackingLogChunk/forEachLine(maxLineLength:_:)``
/// splits one.
///
/// A cut or corrupt gzip input, and a failed read, are errors (``ReadFailure``), never a shorter
/// input: zlib hands out the data up to a cut and says so only when asked.
///
/// Why not ``LineReader``: it reads a file descriptor with read(2), and zlib's `gzread` has to sit
/// between the descriptor and the lines. Memory is bounded the same way: a line over
/// `maxLineLength` is skipped and reported, not buffered.
public final class TrackingLogReader {
    public let sourceName: String
    public let maxLineLength: Int
    /// The bytes a chunk is filled with. Small, so that the chunks in flight stay in the processor's
    /// cache (2 MiB chunks made the kernel's copy into them cost twice as much: perf, bench/rollup);
    /// a chunk grows, up to `maxLineLength` + 2, for a line that does not fit.
    public let chunkSize: Int
    private let file: gzFile
    /// What followed the last chunk's last newline: the start of the next chunk's first line.
    private var carry: [UInt8] = []
    private var eof = false

    /// Opens `path`; `-` is standard input.
    public init(path: String, maxLineLength: Int = 1 << 20, chunkSize: Int = 1 << 18) throws {
        sourceName = path == "-" ? "<stdin>" : path
        self.maxLineLength = maxLineLength
        self.chunkSize = max(1, chunkSize)
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOError(
                .reading, "cannot open \(path): \(String(cString: strerror(errno)))",
                hint: "nothing was written; check the path and its permissions, or leave it out")
        }
        guard let f = gzdopen(fd, "rb") else {
            close(fd)
            throw IOError(.reading, "cannot read \(sourceName): out of memory")
        }
        file = f
        // Reads of at least twice zlib's buffer go straight into the chunk, without its extra copy:
        // so the buffer is at most half of a chunk.
        gzbuffer(file, UInt32(min(1 << 16, max(8192, self.chunkSize / 4))))
    }

    deinit { gzclose_r(file) }

    /// The errors of the inputs of `paths` that cannot be opened (standard input always can), so
    /// that a run can refuse before reading gigabytes of the others: rows over some of the inputs
    /// would be a partial rollup.
    public static func unopenable(_ paths: [String]) -> [IOError] {
        paths.compactMap { path in
            do {
                _ = try TrackingLogReader(path: path, chunkSize: 1)
                return nil
            } catch {
                return error as? IOError
            }
        }
    }

    /// Fills `chunk` with the next whole lines (the last one of the input may lack its newline), or
    /// marks it ``TrackingLogChunk/isTooLong`` for one line over the chunk size, which is read
    /// through and not kept. False at the end of the input.
    public func read(into chunk: TrackingLogChunk) throws(ReadFailure) -> Bool {
        chunk.reset(capacity: max(chunkSize, carry.count))
        var buffer = chunk.storage!
        var end = carry.count
        carry.withUnsafeBufferPointer { c in
            if let b = c.baseAddress { buffer.baseAddress!.update(from: b, count: c.count) }
        }
        carry.removeAll(keepingCapacity: true)
        // Bytes are read up to `target`; the newline search starts at `searched`.
        var target = chunkSize
        var searched = 0
        while true {
            while end < target && !eof {
                let n = try gzread(into: buffer.baseAddress! + end, count: target - end)
                if n == 0 { eof = true }
                end += n
            }
            if end == 0 { return false }
            if let nl = Self.lastNewline(buffer.baseAddress! + searched, end - searched) {
                let count = searched + nl + 1
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[count..<end]))
                chunk.setLines(count: count)
                return true
            }
            searched = end
            if eof {
                // The input's last line, without a newline.
                chunk.setLines(count: end)
                return true
            }
            // The chunk is one unfinished line so far: read on, growing the chunk up to what a line
            // within the limit needs (with a `\r` and its newline), or give up on the line.
            guard end < maxLineLength + 2 else { break }
            target = min(max(end * 2, chunkSize), maxLineLength + 2)
            if target > buffer.count { buffer = chunk.grow(to: target, keeping: end) }
        }
        // No newline in over `maxLineLength` + 1 bytes: read through to the line's end and keep what
        // follows.
        while !eof {
            let n = try gzread(into: buffer.baseAddress!, count: buffer.count)
            if n == 0 {
                eof = true
            } else if let nl = memchr(buffer.baseAddress!, 0x0A, n) {
                let after = UnsafeRawPointer(buffer.baseAddress!).distance(to: UnsafeRawPointer(nl)) + 1
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[after..<n]))
                break
            }
        }
        chunk.setTooLong()
        return true
    }

    /// Where the last `\n` of the `count` bytes at `p` is (memrchr is a GNU extension that Glibc's
    /// module does not show; the last line is a few hundred bytes back).
    @_optimize(speed)
    static func lastNewline(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var i = count
        while i > 0 {
            i -= 1
            if p[i] == 0x0A { return i }
        }
        return nil
    }

    /// Why an input could not be read to its end; ``error(atLine:)`` makes the error reported, once
    /// the caller knows how many lines came before. lt-rollup reads every input before it writes a
    /// row, so a read failure always means that nothing was written.
    public struct ReadFailure: Error {
        public enum Reason: Equatable, Sendable {
            /// The gzip data stops inside a member (a file cut short or still being copied);
            /// `byte` is where the input ended, when the input can tell (not a pipe).
            case cutShort(byte: Int64?)
            /// The gzip data does not decompress, or its check sum does not match; zlib's message,
            /// and about where zlib stopped, when the input can tell.
            case corrupt(String, byte: Int64?)
            /// The system's read failed (an I/O error).
            case system(String)
        }

        public let sourceName: String
        public let reason: Reason

        /// `line`: the first line not counted. The gzip errors leave it out: the chunk being read
        /// when zlib gave up is dropped, so the line would be up to a chunk early, while the byte is
        /// where the data ends.
        public func error(atLine line: Int) -> IOError {
            switch reason {
            case .cutShort(let byte):
                let at = byte.map { " (cut short at byte \($0)?)" } ?? " (cut short?)"
                return IOError(
                    .reading, "\(sourceName): the gzip data ends early\(at)",
                    hint: "nothing was written; re-copy the file or leave it out")
            case .corrupt(let message, let byte):
                let at = byte.map { " at byte \($0)" } ?? ""
                return IOError(
                    .reading, "\(sourceName): the gzip data is corrupt (\(message)\(at))",
                    hint: "nothing was written; re-copy the file or leave it out")
            case .system(let message):
                return IOError(
                    .reading, "cannot read \(sourceName) at line \(line): \(message)",
                    hint: "nothing was written; check the file and its disk, or leave it out")
            }
        }
    }

    /// `gzread`, with its failures typed. zlib hands out the data up to a cut and reports the cut
    /// only through `gzerror` (`Z_BUF_ERROR`, "unexpected end of file") with a read of 0 bytes: so
    /// the end of the input is asked about, or a cut file would read as a shorter whole one.
    private func gzread(into p: UnsafeMutablePointer<UInt8>, count: Int) throws(ReadFailure) -> Int {
        let n = CZlib.gzread(file, p, UInt32(min(count, 1 << 30)))
        if n > 0 { return Int(n) }
        var code: Int32 = Z_OK
        let said = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if n == 0 && code == Z_OK { return 0 }
        // zlib's message follows the name it was given for the descriptor (`<fd:3>: `).
        var message = Substring(said)
        if message.hasPrefix("<fd:"), let colon = message.firstRange(of: ": ") {
            message = message[colon.upperBound...]
        }
        let offset = gzoffset(file)
        let byte = offset >= 0 ? Int64(offset) : nil
        switch code {
        case Z_BUF_ERROR:
            throw ReadFailure(sourceName: sourceName, reason: .cutShort(byte: byte))
        case Z_DATA_ERROR:
            throw ReadFailure(sourceName: sourceName, reason: .corrupt(String(message), byte: byte))
        default:
            // Z_ERRNO (the message is the system's), or zlib out of memory.
            throw ReadFailure(sourceName: sourceName, reason: .system(message.isEmpty ? "read error" : String(message)))
        }
    }

    /// Calls `body` with each line and its 1-based number (``TrackingLogChunk/Line``); a final line
    /// without a newline is a line; a trailing `\r` is removed. One chunk at a time, on this thread.
    public func forEachLine(_ body: (TrackingLogChunk.Line, Int) throws -> Void) throws {
        let chunk = TrackingLogChunk()
        var number = 0
        while true {
            do {
                guard try read(into: chunk) else { return }
            } catch {
                throw error.error(atLine: number + 1)
            }
            try chunk.forEachLine(maxLineLength: maxLineLength) { line, n in try body(line, number + n) }
            number += chunk.lineCount
        }
    }
}

/// A buffer of whole tracking-log lines that ``TrackingLogReader`` fills and a parsing thread reads;
/// reused from chunk to chunk, so a run holds a fixed number of them whatever the input's length.
public final class TrackingLogChunk: @unchecked Sendable {
    // @unchecked Sendable: each chunk belongs to one thread of a RollupPipeline, which joins them
    // before anything else touches it.
    fileprivate var storage: UnsafeMutableBufferPointer<UInt8>?
    /// The bytes of the lines, when the chunk holds lines.
    public private(set) var bytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// True when the chunk stands for one line over the chunk size, whose bytes were not kept.
    public private(set) var isTooLong = false
    /// Lines in the chunk, counted by ``forEachLine(maxLineLength:_:)`` (1 for a too-long one).
    public private(set) var lineCount = 0

    /// One line, or a line that was over the limit (its bytes are not kept).
    public enum Line {
        case line(UnsafeBufferPointer<UInt8>)
        case tooLong
    }

    public init() {}

    deinit { storage?.deallocate() }

    /// Empties the chunk, its buffer holding at least `capacity` bytes (a buffer grown for a long
    /// line is kept for the next one).
    fileprivate func reset(capacity: Int) {
        if let s = storage, s.count < capacity {
            s.deallocate()
            storage = nil
        }
        if storage == nil { storage = .allocate(capacity: capacity) }
        bytes = UnsafeBufferPointer(start: nil, count: 0)
        isTooLong = false
        lineCount = 0
    }

    /// Gives the buffer `capacity` bytes, the first `count` kept.
    fileprivate func grow(to capacity: Int, keeping count: Int) -> UnsafeMutableBufferPointer<UInt8> {
        let bigger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        bigger.baseAddress!.update(from: storage!.baseAddress!, count: count)
        storage!.deallocate()
        storage = bigger
        return bigger
    }

    fileprivate func setLines(count: Int) {
        bytes = UnsafeBufferPointer(rebasing: storage![0..<count])
    }

    fileprivate func setTooLong() {
        isTooLong = true
        lineCount = 1
    }

    /// Calls `body` with each line and its 1-based number in the chunk: the chunk's last line may
    /// lack its newline (the input's last line); a trailing `\r` is removed; a line longer than
    /// `maxLineLength` is handed as ``Line/tooLong``.
    @_optimize(speed)
    @inline(__always)
    public func forEachLine(maxLineLength: Int, _ body: (Line, Int) throws -> Void) rethrows {
        if isTooLong { return try body(.tooLong, 1) }
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var start = 0
        var number = 0
        while start < count {
            let end: Int
            if let nl = memchr(base + start, 0x0A, count - start) {
                end = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nl))
            } else {
                end = count
            }
            number += 1
            var e = end
            if e > start && base[e - 1] == 0x0D { e -= 1 }
            if e - start > maxLineLength {
                try body(.tooLong, number)
            } else {
                try body(.line(UnsafeBufferPointer(start: base + start, count: e - start)), number)
            }
            start = end + 1
        }
        lineCount = number
    }
}
