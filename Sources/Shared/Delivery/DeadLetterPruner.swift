#if canImport(Glibc)
import Glibc
#endif

/// `--prune-delivered`: at the end of a run, drops from the dead-letter file the lines that the
/// journal shows as delivered to their destination (a resumed run or a replay delivered them since),
/// so that the file lists only what is still undelivered.
///
/// The run still holds the file's lock. The lines kept are streamed into a new file beside it
/// (`O_EXCL | O_NOFOLLOW`, `0600`, a random name), synced, then renamed over it: the file is
/// replaced whole or not at all, and memory stays within one line. Lines that cannot be parsed or
/// routed (error records, rejected lines) stay. A line over the reader's limit, which only its
/// start could be read of, leaves the file untouched: rewriting it would cut the line.
enum DeadLetterPruner {
    static let what = "the dead-letter file"

    /// Prunes `path`; returns how many lines were dropped (0: the file is left as it was).
    static func prune(path: String, routes: DeliveryRoutes, journal: DeliveryJournal) throws -> Int {
        let delivered = try count(path) { inbound in
            guard case .success(let (endpoint, _)) = routes.route(inbound) else { return false }
            return try journal.contains(inbound.id, scope: endpoint.journalScope)
        }
        guard let delivered, delivered > 0 else { return 0 }
        var tmp = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            tmp = path + ".prune." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw IOError(
                .writing, "cannot create a file beside \(path) to prune it: \(String(cString: strerror(errno)))")
        }
        var failure: Int32 = 0
        do {
            _ = try count(path) { inbound in
                guard case .success(let (endpoint, _)) = routes.route(inbound) else { return false }
                return try journal.contains(inbound.id, scope: endpoint.journalScope)
            } kept: { line in
                if failure == 0 { failure = writeAll(fd, line) }
            }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        if failure == 0 && fdatasync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(tmp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(tmp)
            throw IOError(.writing, "cannot rewrite \(what) \(path): \(String(cString: strerror(failure)))")
        }
        return delivered
    }

    /// Reads `path` line by line; counts the lines `isDelivered` says were delivered, and hands every
    /// other line, with its newline, to `kept`. Nil when a line was too long to be read whole.
    private static func count(
        _ path: String, isDelivered: (InboundLine) throws -> Bool, kept: ([UInt8]) -> Void = { _ in }
    ) throws -> Int? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOError(.reading, "cannot read \(what) \(path) to prune it: \(String(cString: strerror(errno)))")
        }
        let reader = LineReader(fd: fd, sourceName: path, ownsFD: true)
        var delivered = 0
        while let line = try reader.next() {
            if line.truncatedFrom != nil { return nil }
            if case .success(let inbound) = InboundLine.parse(line), try isDelivered(inbound) {
                delivered += 1
            } else {
                kept(Array(line.bytes) + [0x0A])
            }
        }
        return delivered
    }

    /// Writes `bytes` whole; the errno of a failure, else 0.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBufferPointer { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n > 0 { off += n; continue }
                if n < 0 && errno == EINTR { continue }
                return n < 0 ? errno : ENOSPC
            }
            return 0
        }
    }
}
