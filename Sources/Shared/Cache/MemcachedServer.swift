#if canImport(Glibc)
import Glibc
#endif

/// One memcached server as `--cache memcached://HOST:PORT,…` names it: a host name, an IPv4
/// address or a bracketed IPv6 address, and a port.
public struct MemcachedServerAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public init(_ text: String) throws {
        var host = Substring(text)
        var portText: Substring = ""
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            portText = host[host.index(after: close)...].drop { $0 == ":" }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        let allowed = host.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x3A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x2D
        }
        guard !host.isEmpty, host.utf8.count <= 253, allowed, let port = UInt16(portText), port > 0 else {
            throw ConfigError(
                "memcached server \"\(text.prefix(80))\" is not HOST:PORT",
                hint: "write --cache memcached://HOST:PORT[,HOST:PORT…], for example memcached://127.0.0.1:11211")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A connection to one memcached server: a non-blocking TCP socket, written and read with
/// `poll` under one deadline per exchange, so that a slow or dead server costs at most the
/// timeout and no thread. ``MemcachedStore`` runs the exchanges of several servers at once.
final class MemcachedConnection {
    let address: MemcachedServerAddress
    private(set) var fd: Int32 = -1
    /// Bytes still to send, and bytes received, of the exchange under way.
    var outgoing: [UInt8] = []
    var sent = 0
    var incoming: [UInt8] = []
    /// Longest answer accepted to one exchange: a batch of 10,000 keys with our small values.
    static let maxAnswerBytes = 4 << 20

    init(_ address: MemcachedServerAddress) { self.address = address }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        outgoing.removeAll()
        incoming.removeAll()
        sent = 0
    }

    /// Connects if not connected; the connection is complete (or failed) when ``fd`` polls writable.
    func connectIfNeeded() throws {
        guard fd < 0 else { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw MemcachedError("cannot resolve \(address.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let s = socket(
            first.pointee.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw MemcachedError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(s, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
            let why = String(cString: strerror(errno))
            Glibc.close(s)
            throw MemcachedError("connect: \(why)")
        }
        fd = s
    }

    /// Sends what it can of ``outgoing``; true when all of it is sent.
    func sendSome() throws -> Bool {
        while sent < outgoing.count {
            let n = outgoing.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false
            } else {
                throw MemcachedError(socketError() ?? "send: \(String(cString: strerror(errno)))")
            }
        }
        return true
    }

    /// Reads what has arrived into ``incoming``.
    func receiveSome() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                incoming.append(contentsOf: chunk[0..<n])
                if incoming.count > Self.maxAnswerBytes {
                    throw MemcachedError("answer over \(Self.maxAnswerBytes) bytes")
                }
                if n < chunk.count { return }
            } else if n == 0 {
                throw MemcachedError("the server closed the connection")
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                throw MemcachedError(socketError() ?? "recv: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The socket's pending error (a refused connection), if any.
    func socketError() -> String? {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err != 0 else { return nil }
        return String(cString: strerror(err))
    }
}

/// A memcached server that failed: refused, timed out, closed, or answered what the meta protocol does not.
struct MemcachedError: LTError {
    let message: String
    var kind: ErrorKind { .unavailable }
    init(_ message: String) { self.message = message }
}
