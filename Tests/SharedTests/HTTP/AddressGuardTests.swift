import Testing

@testable import Shared

@Suite struct AddressGuardTests {
    @Test func refusesLoopbackPrivateLinkLocalAndReserved() {
        for ip in [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "198.18.0.1",
            "::1", "::", "fe80::1", "fd00::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::a00:1", "2001:db8::1", "not an address",
        ] {
            #expect(!AddressGuard.isPublic(ip), "\(ip)")
        }
    }

    @Test func allowsPublicAddresses() {
        for ip in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:2800:220:1::1", "::ffff:8.8.8.8"] {
            #expect(AddressGuard.isPublic(ip), "\(ip)")
        }
    }
}
