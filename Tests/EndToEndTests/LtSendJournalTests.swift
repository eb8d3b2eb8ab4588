import Foundation
import Testing

/// Nothing lost, nothing sent twice: the journal across re-runs and a SIGKILL, and SIGTERM.
@Suite struct LtSendJournalTests {
    @Test func reRunWithTheJournalSkipsWhatWasDelivered() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("in.ndjson", SendFixtures.lines(5))
        let args = [
            "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--journal", dir.file("journal"), input,
        ]
        let first = try Tool.run("lt-send", args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try LtSendTrustTests.journalEntries(dir.file("journal")).count == 5)
        let second = try Tool.run("lt-send", args)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try second.records().allSatisfy { $0["status"] as? String == "skipped" })
        #expect(try receiver.requests().count == 5)
    }

    @Test func aRepeatedIdInOneRunIsSentOnce() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = SendFixtures.line("same", n: 1) + "\n" + SendFixtures.line("same", n: 1) + "\n"
        let out = try Tool.run(
            "lt-send",
            ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--journal", dir.file("journal")],
            stdin: input)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Set(try out.records().compactMap { $0["status"] as? String }) == ["delivered", "skipped"])
        #expect(try receiver.requests().count == 1)
    }

    @Test func sigkillMidBackfillThenReRunDeliversEveryLineOnce() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let total = 400
        let concurrency = 8
        let input = try dir.write("in.ndjson", SendFixtures.lines(total))
        let args = [
            "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--journal", dir.file("journal"),
            "--concurrency", String(concurrency),
        ]
        // Paced so that the kill lands mid-run.
        let first = try BackgroundTool("lt-send", args + ["--rate", "300"], stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count >= 100 }
        first.signal(SIGKILL)
        #expect(first.wait() == 128 + SIGKILL)
        let sentBefore = try receiver.webhookIDs()
        #expect(sentBefore.count < total, "the first run ended before the kill")
        let second = try Tool.run("lt-send", args + [input])
        #expect(second.status == 0, "\(second.stderr)")
        let results = try second.records()
        #expect(results.count == total)
        #expect(results.allSatisfy { ["delivered", "skipped"].contains($0["status"] as? String) })
        let ids = try receiver.webhookIDs()
        let counts = Dictionary(ids.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(Set(ids) == Set((1...total).map { "msg-\($0)" }), "a line was lost")
        let twice = counts.filter { $0.value > 1 }
        // Only lines in flight (sent, not yet recorded) at the kill may go twice.
        #expect(twice.count <= concurrency, "sent twice: \(twice.keys.sorted())")
        #expect(twice.values.allSatisfy { $0 == 2 })
    }

    @Test func sigtermStopsReadingLetsInFlightEndAndDeadLettersTheRest() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("in.ndjson", SendFixtures.lines(6))
        let tool = try BackgroundTool(
            "lt-send",
            [
                "--url", receiver.url("/slow/60/x"), "--allow-http", "--allow-private", "--concurrency", "4",
                "--per-host", "2", "--grace", "300ms", "--dead-letter", dir.file("dead.ndjson"),
            ], stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count == 2 || !tool.process.isRunning }
        try #require(tool.process.isRunning, "lt-send ended early: \(tool.stderr)")
        tool.signal(SIGTERM)
        #expect(tool.wait() == 143)
        let out = ToolOutput(stdout: tool.stdout, stderr: tool.stderr, status: 143)
        let results = try out.records()
        #expect(results.count == 6)
        #expect(
            results.allSatisfy {
                $0["status"] as? String == "failed" && ($0["error"] as? String)?.contains("interrupted") == true
            })
        // Two in flight: the per-host cap, not --concurrency, held the others back.
        #expect(results.filter { ($0["error"] as? String)?.contains("in flight") == true }.count == 2)
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 6)
        #expect(tool.stderr.contains("SIGTERM"))
    }

    @Test func sigintExits130() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("in.ndjson", SendFixtures.lines(2))
        let tool = try BackgroundTool(
            "lt-send", ["--url", receiver.url("/slow/60/x"), "--allow-http", "--allow-private", "--grace", "100ms"],
            stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count == 2 || !tool.process.isRunning }
        try #require(tool.process.isRunning, "lt-send ended early: \(tool.stderr)")
        tool.signal(SIGINT)
        #expect(tool.wait() == 130)
        #expect(tool.stdout.split(separator: "\n").count == 2)
    }
}
