import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--per-host` counts hosts as libcurl will connect to them, not as their URLs are spelled.
@Suite struct LtSendPerHostTests {
    @Test func twoSpellingsOfOneHostShareItsCap() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // One receiver, two spellings of its origin: the second with IPv4's short form and a port
        // with a leading zero, which libcurl reads as the same host and port (as it reads
        // https://a and https://a:443).
        let config = try SendFixtures.integrations(
            in: dir,
            [
                "plain": "http://127.0.0.1:\(receiver.port)/slow/60/plain",
                "short": "http://127.1:0\(receiver.port)/slow/60/short",
            ])
        let input = try dir.write(
            "in.ndjson",
            SendFixtures.line("a", integration: "plain") + "\n" + SendFixtures.line("b", integration: "short") + "\n")
        let tool = try BackgroundTool(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--concurrency", "4",
                "--per-host", "1", "--grace", "300ms",
            ], stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count == 1 || !tool.process.isRunning }
        try #require(tool.process.isRunning, "lt-send ended early: \(tool.stderr)")
        tool.signal(SIGTERM)
        #expect(tool.wait() == 143)
        let results = try ToolOutput(stdout: tool.stdout, stderr: tool.stderr, status: 143).records()
        #expect(results.count == 2)
        // Both lines were read at once; one host with a cap of 1 let only one of them out. Counted
        // as two hosts, both would have been in flight when the first reached the receiver.
        #expect(results.filter { ($0["error"] as? String)?.contains("in flight") == true }.count == 1)
        #expect(try receiver.requests().count == 1)
    }
}
