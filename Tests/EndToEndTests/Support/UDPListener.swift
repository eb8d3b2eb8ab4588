import Foundation

/// A real UDP socket on 127.0.0.1 that collects StatsD datagrams.
final class UDPListener {
    let socket: Int32
    let port: Int

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.socket = socket
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("cannot bind a UDP socket") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &len) }
        }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(socket) }

    /// Every metric line received until none arrives for `quiet` seconds.
    func lines(quiet: Double = 0.5) -> [String] {
        var out: [String] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            var p = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(quiet * 1000)) > 0 else { return out }
            let n = recv(socket, &buf, buf.count, 0)
            guard n > 0 else { return out }
            out += String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }
}

/// One DogStatsD line: `name:value|type|#tag:value,…`.
struct StatsDLine {
    let name: String
    let value: Double
    let type: String
    let tags: [String: String]

    init?(_ line: String) {
        let parts = line.split(separator: "|")
        guard parts.count >= 2, let colon = parts[0].lastIndex(of: ":"),
            let v = Double(parts[0][parts[0].index(after: colon)...])
        else { return nil }
        name = String(parts[0][..<colon])
        value = v
        type = String(parts[1])
        var t: [String: String] = [:]
        for part in parts.dropFirst(2) where part.hasPrefix("#") {
            for tag in part.dropFirst().split(separator: ",") {
                let kv = tag.split(separator: ":", maxSplits: 1)
                t[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        tags = t
    }
}
