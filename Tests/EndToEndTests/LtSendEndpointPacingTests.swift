import Foundation
import Testing

/// lt-send against real receivers on 127.0.0.1 that rate-limit: a Retry-After paces the whole
/// endpoint, and repeated 429s shrink its concurrency (AIMD), which recovers as answers succeed.
@Suite struct LtSendEndpointPacingTests {
    /// The receiver answers 429 with Retry-After: 1 to everything in the second after the first
    /// request (a partner-wide limit). Only the requests already in flight when the first 429 came
    /// back get one; before, every line (20) got its own 429 in that second.
    @Test func aRetryAfterPacesEveryLineToTheEndpoint() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/limit/1/x"), "--allow-http", "--allow-private", "--concurrency", "4",
                "--retry-schedule", "10ms",
            ], stdin: SendFixtures.lines(20))
        #expect(out.status == 0, "\(out.stderr.suffix(500))")
        #expect(try out.records().allSatisfy { $0["status"] as? String == "delivered" })
        let answered = try receiver.requests().compactMap { $0["answered"] as? Int }
        #expect(answered.filter { $0 == 200 }.count == 20)
        #expect(answered.filter { $0 == 429 }.count <= 4, "\(answered)")
    }

    /// The receiver serves 2 requests at a time and answers 429 (no Retry-After) to any more.
    /// With --concurrency 16 lt-send halves the endpoint's concurrency per burst of 429s and adds
    /// one per window of successes, so 429s stay fewer than the lines; without that, the same run
    /// got 456 429s for 60 lines and 2 lines gave up.
    @Test func repeated429sShrinkTheEndpointsConcurrency() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/cap/2/0.05/x"), "--allow-http", "--allow-private", "--concurrency", "16",
                "--retries", "20", "--retry-schedule", "10ms", "--max-elapsed", "1m",
            ], stdin: SendFixtures.lines(60))
        #expect(out.status == 0, "\(out.stderr.suffix(500))")
        let answered = try receiver.requests().compactMap { $0["answered"] as? Int }
        #expect(answered.filter { $0 == 200 }.count == 60)
        #expect(answered.filter { $0 == 429 }.count < 60, "\(answered.filter { $0 == 429 }.count) answers 429")
    }
}
