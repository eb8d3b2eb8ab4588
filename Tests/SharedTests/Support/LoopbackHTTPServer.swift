import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-request-per-connection HTTP server on 127.0.0.1 for in-process tests of the HTTP
/// adapter: each connection gets `response`, as bytes, and is closed. It keeps what it read.
final class LoopbackHTTPServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let response: [UInt8]
    private let lock = NSLock()
    private var received: [String] = []

    init(response: String) throws {
        self.response = Array(response.utf8)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    /// Answers the next `count` connections on a thread of its own.
    func serve(_ count: Int) {
        Thread.detachNewThread { [self] in
            for _ in 0..<count {
                let c = accept(fd, nil, nil)
                guard c >= 0 else { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !Self.isComplete(request) {
                    let n = read(c, &buffer, buffer.count)
                    guard n > 0 else { break }
                    request += buffer[..<n]
                }
                lock.withLock { received.append(String(decoding: request, as: UTF8.self)) }
                _ = response.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                close(c)
            }
        }
    }

    /// The requests read so far, head and body.
    var requests: [String] { lock.withLock { received } }

    /// True when a connection is waiting to be accepted (checked without waiting).
    var hasPendingConnection: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// A whole request: its head, and as many body bytes as its Content-Length says.
    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length
    }
}
