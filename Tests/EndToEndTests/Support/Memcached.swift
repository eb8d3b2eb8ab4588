import Foundation
import Testing

extension Services {
    static var hasMemcached: Bool { isAvailable("LT_TEST_MEMCACHED") }
    static let memcachedNote: Comment =
        "needs memcached (LT_TEST_MEMCACHED); run scripts/test.sh, which starts two (scripts/memcached.sh)"

    /// The two servers scripts/memcached.sh started, as `127.0.0.1:PORT,127.0.0.1:PORT`.
    static func memcached() throws -> String { try setting("LT_TEST_MEMCACHED") }
}

/// A memcached server of the test's own on a free loopback port, for tests that kill it; killed
/// when released.
final class OwnMemcached {
    let process = Process()
    let port: Int
    var address: String { "127.0.0.1:\(port)" }

    init() throws {
        port = try NodeExporter.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/memcached")
        process.arguments =
            (getuid() == 0 ? ["-u", "nobody"] : []) + ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "16"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !Self.answers(port) {
            guard process.isRunning, Date() < deadline else { throw TestFailure("memcached did not start") }
            usleep(10_000)
        }
    }

    deinit { kill() }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// True once the server accepts a connection on `port`.
    static func answers(_ port: Int) -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
