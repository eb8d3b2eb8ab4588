import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// Lookups cached in memcached (`--cache memcached://HOST:PORT[,HOST:PORT…]`), shared by every
/// host that names the same servers, as the specification's cache layer is.
///
/// - Keys: `{namespace}:learning_time:{user_id}:{course_id}:{enterprise_id}` (see ``key(_:in:)``).
/// - Values: `lt1 STATUS TOTAL LAST_UPDATED STORED_AT_MS ORIGIN`, for example
///   `lt1 found 18540 2026-01-10T00:00:00Z 1764806400000 run` or
///   `lt1 not_found - 2026-01-10T00:00:00Z 1764806400000 run`; memcached's own TTL is the expiry.
/// - Servers: by ``KetamaRing``. A batch is one meta-command pipeline per server (`mg … q` per key,
///   then `mn`), sent to every server at once and read with `poll` under one short deadline.
/// - Failing soft: each server has its own ``FailSoft``; a server down or slow gets one warning,
///   its keys are misses (so they go to the warehouse) and its writes are dropped until its
///   back-off has passed, while the other servers go on answering.
///
/// The protocol is written here rather than through libmemcached: the meta commands are a few
/// lines of text, and a non-blocking socket per server fits lt-query's single-threaded loop, where
/// libmemcached's blocking calls would need its own timeouts tuned to the same effect.
public final class MemcachedStore: LookupStore {
    public let servers: [MemcachedServerAddress]
    public let address: String
    public var readsByBatch: Bool { true }
    /// Longest an exchange with the servers may take before the late ones count as failed.
    public var timeout: Double
    private let connections: [MemcachedConnection]
    private var health: [FailSoft]
    private let ring: KetamaRing
    private let diagnostics: Diagnostics?

    public init(servers: [MemcachedServerAddress], timeout: Double = 0.25, diagnostics: Diagnostics?) {
        self.servers = servers
        self.timeout = timeout
        self.diagnostics = diagnostics
        address = "memcached://" + servers.map(\.description).joined(separator: ",")
        connections = servers.map(MemcachedConnection.init)
        health = servers.map { FailSoft(what: "memcached server \($0)", without: "this server") }
        ring = KetamaRing(servers: servers.map(\.description))
    }

    /// The memcached key of `key`: `{namespace}:learning_time:{user}:{course}:{enterprise}`. A key
    /// memcached would refuse or that other clients could mangle (over 250 bytes, or holding a
    /// space, a control character or a byte outside ASCII, as course keys can) is sent as
    /// `{namespace}:learning_time:sha256:{64 hex digits of the SHA-256 of the unhashed key}`.
    public static func key(_ key: LookupKey, in namespace: CacheNamespace) -> String {
        let plain = namespace.id + ":" + key.cacheKey
        if plain.utf8.count <= 250 && plain.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return plain }
        let digest = SHA256.hash(data: Array(plain.utf8)).map { CacheNamespace.hex($0) }.joined()
        return namespace.id + ":learning_time:sha256:" + digest
    }

    public func get(_ keys: [LookupKey], in namespace: CacheNamespace) throws -> [CachedLookup?] {
        var results = [CachedLookup?](repeating: nil, count: keys.count)
        var requests = [[UInt8]](repeating: [], count: servers.count)
        for (i, k) in keys.enumerated() {
            let mk = Self.key(k, in: namespace)
            let s = ring.server(for: mk)
            // v: the value; t: the TTL left; O: our index, to match the answer; q: no answer for a miss.
            requests[s].append(contentsOf: "mg \(mk) v t O\(i) q\r\n".utf8)
        }
        let now = Timestamps.now()
        for (s, answer) in exchange(requests) {
            do {
                try Self.parseGets(answer, into: &results, now: now)
            } catch {
                fail(s, error)
            }
        }
        return results
    }

    public func put(_ entries: [(LookupKey, CachedLookup)], in namespace: CacheNamespace) throws {
        var requests = [[UInt8]](repeating: [], count: servers.count)
        for (k, e) in entries {
            let mk = Self.key(k, in: namespace)
            let value = Self.value(e)
            // memcached reads a TTL over 30 days as a point in time; ours are far shorter anyway.
            let ttl = min(max(1, Int((e.expiresAt - e.storedAt).rounded(.up))), 2_592_000)
            requests[ring.server(for: mk)].append(contentsOf: "ms \(mk) \(value.count) T\(ttl) q\r\n".utf8)
            requests[ring.server(for: mk)].append(contentsOf: value + [0x0D, 0x0A])
        }
        for (s, answer) in exchange(requests) {
            // With q, a stored item says nothing: anything but the closing MN is an error.
            if answer != Array("MN\r\n".utf8) {
                let line = answer.prefix { $0 != 0x0D && $0 != 0x0A }.prefix(120)
                fail(s, MemcachedError("refused a write: \(String(decoding: line, as: UTF8.self))"))
            }
        }
    }

    public func flush() throws {}

    // MARK: Values

    /// `lt1 STATUS TOTAL LAST_UPDATED STORED_AT_MS ORIGIN`.
    static func value(_ e: CachedLookup) -> [UInt8] {
        let status = e.totalSeconds == nil ? "not_found" : "found"
        let total = e.totalSeconds.map(String.init) ?? "-"
        return Array(
            "lt1 \(status) \(total) \(e.lastUpdated) \(Int64((e.storedAt * 1000).rounded())) \(e.origin.rawValue)".utf8)
    }

    /// The entry a value holds, or nil when it is not one of ours (another client's, or hostile).
    static func entry(_ value: ArraySlice<UInt8>, ttl: Int, now: Double) -> CachedLookup? {
        let parts = value.split(separator: 0x20, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard parts.count == 6, parts[0] == "lt1", Timestamps.isUTCTimestamp(parts[3]),
            let storedMS = Int64(parts[4]), storedMS >= 0, let origin = CacheOrigin(rawValue: parts[5])
        else { return nil }
        let total: Int64?
        switch (parts[1], parts[2]) {
        case ("found", let t):
            guard let n = Int64(t), n >= 0, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            total = n
        case ("not_found", "-"): total = nil
        default: return nil
        }
        return CachedLookup(
            totalSeconds: total, lastUpdated: parts[3], storedAt: Double(storedMS) / 1000,
            expiresAt: ttl < 0 ? now + 2_592_000 : now + Double(ttl), origin: origin)
    }

    /// Reads the answer to a pipeline of `mg … v t O… q` and `mn`: `VA SIZE FLAGS` lines with
    /// their values, then `MN`.
    static func parseGets(_ a: [UInt8], into results: inout [CachedLookup?], now: Double) throws {
        var i = 0
        func line() throws -> ArraySlice<UInt8> {
            guard let end = a[i...].firstIndex(of: 0x0A), end > i, a[end - 1] == 0x0D else {
                throw MemcachedError("an answer line is not closed by CRLF")
            }
            defer { i = end + 1 }
            return a[i..<(end - 1)]
        }
        while true {
            let l = try line()
            let words = l.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
            switch words.first {
            case "MN": return
            case "EN": continue
            case "VA":
                guard words.count >= 2, let size = Int(words[1]), size >= 0, size <= 1024, i + size + 2 <= a.count,
                    a[i + size] == 0x0D, a[i + size + 1] == 0x0A
                else { throw MemcachedError("a value does not match its size") }
                let data = a[i..<(i + size)]
                i += size + 2
                var ttl = -1
                var index: Int?
                for w in words.dropFirst(2) {
                    if w.hasPrefix("t") { ttl = Int(w.dropFirst()) ?? -1 }
                    if w.hasPrefix("O") { index = Int(w.dropFirst()) }
                }
                guard let index, results.indices.contains(index) else {
                    throw MemcachedError("a value came back for a key not asked")
                }
                results[index] = entry(data, ttl: ttl, now: now)
            default:
                throw MemcachedError("unexpected answer \"\(String(decoding: l.prefix(80), as: UTF8.self))\"")
            }
        }
    }

    // MARK: Exchanges

    private func fail(_ server: Int, _ error: any Error) {
        connections[server].close()
        health[server].failed(error, now: Timestamps.monotonic(), diagnostics: diagnostics)
    }

    /// Sends each server its request (with `mn` after it) and reads its answer up to `MN`, all
    /// at once, within ``timeout``. Servers backing off, and those that fail, give no answer;
    /// the others' answers are returned by server index.
    private func exchange(_ requests: [[UInt8]]) -> [(Int, [UInt8])] {
        let now = Timestamps.monotonic()
        var pending: [Int] = []
        for (s, request) in requests.enumerated() where !request.isEmpty && health[s].isUsable(now: now) {
            let c = connections[s]
            do {
                try c.connectIfNeeded()
                c.outgoing = request + Array("mn\r\n".utf8)
                c.sent = 0
                c.incoming.removeAll(keepingCapacity: true)
                pending.append(s)
            } catch {
                fail(s, error)
            }
        }
        var answers: [(Int, [UInt8])] = []
        let deadline = now + timeout
        while !pending.isEmpty {
            let left = deadline - Timestamps.monotonic()
            if left <= 0 {
                for s in pending { fail(s, MemcachedError("no answer within \(Int(timeout * 1000)) ms")) }
                break
            }
            var fds = pending.map { s in
                let c = connections[s]
                return pollfd(fd: c.fd, events: Int16(c.sent < c.outgoing.count ? POLLOUT : POLLIN), revents: 0)
            }
            let n = poll(&fds, nfds_t(fds.count), Int32((left * 1000).rounded(.up)))
            if n < 0 && errno != EINTR { break }
            var still: [Int] = []
            for (j, s) in pending.enumerated() {
                let c = connections[s]
                let ev = fds[j].revents
                guard ev != 0 else { still.append(s); continue }
                do {
                    if ev & Int16(POLLOUT) != 0 || c.sent < c.outgoing.count {
                        if ev & Int16(POLLERR | POLLHUP) != 0 && c.sent == 0 {
                            throw MemcachedError(c.socketError() ?? "connection failed")
                        }
                        _ = try c.sendSome()
                        still.append(s)
                        continue
                    }
                    try c.receiveSome()
                    if c.incoming.count >= 4 && c.incoming.suffix(4).elementsEqual("MN\r\n".utf8) {
                        answers.append((s, c.incoming))
                        health[s].succeeded(diagnostics: diagnostics)
                    } else {
                        still.append(s)
                    }
                } catch {
                    fail(s, error)
                }
            }
            pending = still
        }
        return answers
    }
}
