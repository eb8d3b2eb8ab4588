import Crypto

/// Ketama consistent hashing, as libketama and libmemcached's ketama mode do it: each server
/// takes 160 points on a ring of 32-bit hashes (four from each MD5 of `HOST:PORT-N`, N from 0 to
/// 39), and a key belongs to the first point at or after the first four bytes of its own MD5.
/// Adding or removing a server moves only about 1/N of the keys.
struct KetamaRing: Sendable {
    private var points: [(hash: UInt32, server: Int)] = []

    init(servers: [String]) {
        for (index, name) in servers.enumerated() {
            for n in 0..<40 {
                let d = Array(Insecure.MD5.hash(data: Array("\(name)-\(n)".utf8)))
                for h in 0..<4 { points.append((Self.word(d, h), index)) }
            }
        }
        points.sort { ($0.hash, $0.server) < ($1.hash, $1.server) }
    }

    /// The little-endian 32-bit word `h` of a digest, as libketama reads it.
    static func word(_ d: [UInt8], _ h: Int) -> UInt32 {
        UInt32(d[3 + h * 4]) << 24 | UInt32(d[2 + h * 4]) << 16 | UInt32(d[1 + h * 4]) << 8 | UInt32(d[h * 4])
    }

    /// The index of the server `key` belongs to.
    func server(for key: String) -> Int {
        guard points.count > 160 else { return points.first?.server ?? 0 }
        let h = Self.word(Array(Insecure.MD5.hash(data: Array(key.utf8))), 0)
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].hash < h { low = mid + 1 } else { high = mid }
        }
        return points[low == points.count ? 0 : low].server
    }
}
