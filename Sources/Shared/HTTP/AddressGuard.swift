#if canImport(Glibc)
import Glibc
#endif

/// Tells public internet addresses from loopback, private, link-local, shared, multicast and
/// reserved ones, which webhooks must not reach unless `--allow-private` or an `--allow-address`
/// network says so (SSRF guard).
public enum AddressGuard {
    /// An allowed network, such as `10.20.0.0/16`, `fd00::/8` or a single address.
    public struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefix: Int

        public init(_ text: String) throws {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = parts.first, let b = AddressGuard.bytes(of: address) else {
                throw ConfigError(
                    "--allow-address: \"\(text)\" is not an IP address or network",
                    hint: "use a form such as 10.20.0.0/16 or fd00::/8")
            }
            let p = parts.count == 2 ? Int(parts[1]) : b.count * 8
            guard let p, (0...(b.count * 8)).contains(p) else {
                throw ConfigError("--allow-address: \"\(text)\" has a bad prefix length")
            }
            bytes = b
            prefix = p
        }

        /// True when `ip` lies in this network.
        public func contains(_ ip: String) -> Bool {
            guard let b = AddressGuard.bytes(of: ip), b.count == bytes.count else { return false }
            var bits = prefix
            for i in 0..<b.count where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if b[i] & mask != bytes[i] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    /// The address's bytes: 4 for IPv4, 16 for IPv6; nil when it is neither.
    static func bytes(of ip: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, ip, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// True when `ip` (IPv4 or IPv6 text, as libcurl reports the connected address) is public.
    public static func isPublic(_ ip: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            return isPublicV4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, ip, &v6) == 1 else { return false }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): judge the embedded IPv4 address.
        let mapped = b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF
        let nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy { $0 == 0 }
        if mapped || nat64 {
            return isPublicV4(UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15]))
        }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local (deprecated)
        if b[0] == 0xFF { return false }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // documentation
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
        return true
    }

    private static let refusedV4: [(UInt32, Int)] = [
        (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
        (0xAC10_0000, 12), (0xC000_0000, 24), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15),
        (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
    ]

    private static func isPublicV4(_ a: UInt32) -> Bool {
        for (net, bits) in refusedV4 {
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            if a & mask == net { return false }
        }
        return true
    }
}
