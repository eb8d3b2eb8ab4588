// sys/socket.h and netinet/in.h reach Swift through libcurl's module (curl.h includes them first),
// so with MemberImportVisibility their socket types and flags are that module's members.
import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// Sends DogStatsD datagrams (`name:value|type|#tag:value`) over UDP without ever blocking:
/// the socket is non-blocking, lines are packed into datagrams of at most 1,432 bytes, and a
/// datagram the kernel will not take at once is dropped, since metrics must not slow the pipeline.
final class StatsDClient {
    private let socket: Int32
    private var address = sockaddr_in()
    private var packet: [UInt8] = []
    private let maxPacket = 1432
    private(set) var dropped = 0

    /// `statsd://HOST:PORT` (an IPv4 address or a name resolved once at start-up).
    init(url: String) throws {
        guard url.hasPrefix("statsd://") else {
            throw ConfigError("--metrics \(url) is not a statsd:// address", hint: "use statsd://127.0.0.1:8125")
        }
        let hostPort = url.dropFirst("statsd://".count)
        guard let colon = hostPort.lastIndex(of: ":"), let port = UInt16(hostPort[hostPort.index(after: colon)...])
        else {
            throw ConfigError(
                "--metrics \(url) has no port", hint: "use statsd://HOST:PORT, such as statsd://127.0.0.1:8125")
        }
        let host = String(hostPort[..<colon])
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw ConfigError("--metrics: cannot resolve \(host)", hint: "check the host name of the StatsD agent")
        }
        defer { freeaddrinfo(result) }
        let resolved = info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        address = resolved
        socket = Glibc.socket(
            AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else {
            throw ConfigError("--metrics: cannot open a UDP socket: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        flush()
        close(socket)
    }

    /// Queues one metric line; a full datagram is sent first.
    func send(_ line: String) {
        let bytes = Array(line.utf8)
        if !packet.isEmpty && packet.count + 1 + bytes.count > maxPacket { flush() }
        if !packet.isEmpty { packet.append(0x0A) }
        packet.append(contentsOf: bytes)
    }

    func flush() {
        guard !packet.isEmpty else { return }
        let sent = packet.withUnsafeBytes { b in
            withUnsafePointer(to: &address) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(
                        socket, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0,
                        socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent < 0 { dropped += 1 }
        packet.removeAll(keepingCapacity: true)
    }
}
