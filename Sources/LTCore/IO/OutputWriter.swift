#if canImport(Glibc)
import Glibc
#endif

/// Raised when the reader of our output has gone away (EPIPE): the tool ends quietly.
public struct OutputClosed: Error {
    package init() {}
}

/// A buffered writer on a file descriptor: bytes accumulate in one reused buffer and go out
/// in large writes, or at once on ``flush()``.
public final class OutputWriter {
    private let fd: Int32
    private let name: String
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0
    /// Flush after every line (for interactive outputs and tests of prompt output).
    public var lineBuffered = false
    /// Called over and over while the output is a pipe or socket that cannot take more bytes (its
    /// reader is slow or paused), instead of blocking in `write`: lt-query keeps collecting the
    /// warehouse's answers meanwhile, so their round trips are timed when they arrive, not when the
    /// reader next reads. Each call should return within a few milliseconds and must not write here.
    public var whileBlocked: (() -> Void)?
    /// Seconds spent waiting for a full output pipe or socket to take bytes (with ``whileBlocked``
    /// set), the wait under way included.
    public var blockedSeconds: Double { blockedBefore + (blockedSince.map { Timestamps.monotonic() - $0 } ?? 0) }
    private var blockedBefore = 0.0
    private var blockedSince: Double?
    private lazy var isPipeOrSocket: Bool = {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFSOCK
    }()

    public init(fd: Int32 = 1, name: String = "<stdout>", capacity: Int = 1 << 17) {
        self.fd = fd
        self.name = name
        self.capacity = capacity
        self.buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// The descriptor written to.
    public var fileDescriptor: Int32 { fd }

    /// The most bytes one write may carry without waiting for a reader once
    /// ``canWriteWithoutWaiting()`` said yes: `PIPE_BUF` for a pipe, socket or terminal (a pipe that
    /// polls writable has a page free), unbounded for a regular file, which never waits on a reader.
    public private(set) lazy var chunkWithoutWaiting: Int = {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int.max : Int(PIPE_BUF)
    }()

    /// True when a write of up to ``chunkWithoutWaiting`` bytes would not wait for the reader.
    public func canWriteWithoutWaiting() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents != 0
    }

    /// Standard output, with SIGPIPE ignored so that a closed pipe surfaces as ``OutputClosed``.
    public static func standardOutput() -> OutputWriter {
        signal(SIGPIPE, SIG_IGN)
        let w = OutputWriter(fd: 1)
        w.lineBuffered = isatty(1) == 1
        return w
    }

    @inline(__always)
    private func ensure(_ n: Int) throws {
        if count + n <= capacity { return }
        try flush()
        if n > capacity {
            var c = capacity
            while c < n { c *= 2 }
            buffer.deallocate()
            buffer = .allocate(capacity: c)
            capacity = c
        }
    }

    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard bytes.count > 0 else { return }
        try ensure(bytes.count)
        (buffer + count).update(from: bytes.baseAddress!, count: bytes.count)
        count += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write($0) }
    }

    @inline(__always)
    public func write(byte: UInt8) throws {
        try ensure(1)
        buffer[count] = byte
        count += 1
    }

    /// Ends a line; flushes when line-buffered.
    public func endLine() throws {
        try write(byte: 0x0A)
        if lineBuffered { try flush() }
    }

    /// Writes what is buffered. A write that fails part-way (a full disk) is cut back to its last whole
    /// line when the output is a file, and the lines not written are counted in the ``IOError``.
    public func flush() throws {
        var off = 0
        defer {
            if off > 0 && off < count { memmove(buffer, buffer + off, count - off) }
            count -= off
        }
        let position = lseek(fd, 0, SEEK_CUR)
        // With a hook, a pipe or socket is written in pieces it can take without blocking.
        let pieces = whileBlocked != nil && isPipeOrSocket
        while off < count {
            if pieces { waitWritable() }
            let n = Glibc.write(fd, buffer + off, pieces ? min(count - off, Int(PIPE_BUF)) : count - off)
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE { off = count; throw OutputClosed() }
            let reason = n < 0 ? errno : ENOSPC
            var kept = 0
            if position >= 0, off > 0 {
                var i = off
                while i > 0 && buffer[i - 1] != 0x0A { i -= 1 }
                kept = i
                if ftruncate(fd, position + off_t(kept)) == 0 { _ = lseek(fd, position + off_t(kept), SEEK_SET) }
            }
            var lost = 0
            for j in kept..<count where buffer[j] == 0x0A { lost += 1 }
            if count > 0 && buffer[count - 1] != 0x0A { lost += 1 }
            off = count
            throw IOError.write(path: name, errno: reason, lines: lost)
        }
    }

    /// Returns once the pipe or socket can take `PIPE_BUF` bytes without blocking (Linux reports a
    /// pipe writable when a whole page is free), calling ``whileBlocked`` until then.
    private func waitWritable() {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        if poll(&p, 1, 0) != 0 { return }
        let started = Timestamps.monotonic()
        blockedSince = started
        defer {
            blockedSince = nil
            blockedBefore += Timestamps.monotonic() - started
        }
        while true {
            whileBlocked?()
            p.revents = 0
            // An error or hang-up is left for the write to report.
            if poll(&p, 1, 2) != 0 { return }
        }
    }
}
