import Testing

@testable import Shared

@Suite struct AllowedNetworkTests {
    @Test func matchesAddressesInsideTheNetworkOnly() throws {
        let n = try AddressGuard.Network("10.20.0.0/16")
        #expect(n.contains("10.20.3.4"))
        #expect(!n.contains("10.21.0.1"))
        #expect(!n.contains("fd00::1"))
        #expect(try AddressGuard.Network("127.0.0.1").contains("127.0.0.1"))
        #expect(try AddressGuard.Network("fd00::/8").contains("fd12::3"))
        #expect(try AddressGuard.Network("10.0.0.0/12").contains("10.15.255.255"))
        #expect(!(try AddressGuard.Network("10.0.0.0/12").contains("10.16.0.0")))
        #expect(throws: ConfigError.self) { try AddressGuard.Network("10.0.0.0/33") }
        #expect(throws: ConfigError.self) { try AddressGuard.Network("example.com") }
    }
}
