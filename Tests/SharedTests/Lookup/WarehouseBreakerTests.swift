import Testing
@testable import Shared

@Suite struct WarehouseBreakerTests {
    @Test func opensAfterAFailureFailsFastThenProbesOnce() {
        var b = WarehouseBreaker(cooldown: 10)
        #expect(b.decide(now: 0) == .run)
        b.failed(now: 0)
        #expect(b.isOpen)
        #expect(b.decide(now: 5) == .failFast)
        #expect(b.decide(now: 10) == .probe)
        // The probe fails: open for another cooldown.
        b.failed(now: 10)
        #expect(b.decide(now: 19) == .failFast)
        #expect(b.decide(now: 20) == .probe)
        b.succeeded()
        #expect(b.decide(now: 20) == .run)
        #expect(!b.isOpen)
    }
}
