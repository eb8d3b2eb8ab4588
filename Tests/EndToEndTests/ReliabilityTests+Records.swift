import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for one test, to fill up (tests run as root in CI).
final class SmallFilesystem {
    let path: String
    private var filler: String { path + "/filler" }

    init(in dir: Workdir, kilobytes: Int) throws {
        path = dir.file("small-fs")
        let out = try Tool.shell("mkdir -p \"$0\" && mount -t tmpfs -o size=\(kilobytes)k lt-test \"$0\"", args: [path])
        guard out.status == 0 else { throw TestFailure("cannot mount a tmpfs (run as root): \(out.stderr)") }
    }

    /// Fills the filesystem, then frees `free` bytes (whole pages), so the next writes run out of room.
    func fill(leaving free: Int) throws {
        _ = try Tool.shell("dd if=/dev/zero of=\"$0\" bs=4k 2>/dev/null; truncate -s -\(free) \"$0\"", args: [filler])
    }

    func makeRoom() throws { _ = try Tool.shell("rm -f \"$0\"", args: [filler]) }

    deinit { _ = try? Tool.shell("umount -l \"$0\"", args: [path]) }
}

extension ReliabilityTests {
    static var isRoot: Bool { getuid() == 0 }

    /// The checker with every option: results of each run, a dead-letter file, a journal.
    static func checkDelivery(
        input: String, results: [String], deadLetter: String, received: String, journal: String? = nil,
        kills: Int = 0, unjournaled: Int = 0
    ) throws -> [String: Any] {
        var args = [
            Tool.packageRoot + "/scripts/check-delivery.py", "--input", input, "--dead-letter", deadLetter,
            "--received", received, "--kills", String(kills), "--unjournaled", String(unjournaled),
        ]
        if let journal { args += ["--journal", journal] }
        args += ["--results"] + results
        let out = try Tool.shell("python3 \"$0\" \"$@\"", args: args)
        let summary = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(out.status == 0, "invariant broken: \(out.stdout) \(out.stderr)")
        return summary
    }

    static func sendLines(_ count: Int, prefix: String, pad: Int = 0) -> String {
        let padding = pad > 0 ? #","pad":""# + String(repeating: "p", count: pad) + #"""# : ""
        return (1...count).map { #"{"id":"\#(prefix)-\#($0)","payload":{"n":\#($0)\#(padding)}}"# }.joined(
            separator: "\n") + "\n"
    }

    @Test func forgedIdsNeverReachTheWireOrTheJournal() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let forged = [
            "a\\r\\nX-Injected: 1", "two words", String(repeating: "z", count: 300), "\\u0000", "caf\\u00e9", "\\u007f",
        ]
        var lines: [String] = []
        for i in 1...60 {
            let id = i % 10 == 0 ? forged[(i / 10) % forged.count] : "ok-\(i)"
            lines.append(#"{"id":"\#(id)","payload":{"n":\#(i)}}"#)
        }
        let input = try dir.write("input.ndjson", lines.joined(separator: "\n") + "\n")
        let run = try Tool.shell(
            "lt-send --url \"$1\" --allow-http --allow-private --journal \"$2\" --dead-letter \"$3\" < \"$4\" > \"$5\"",
            args: ["", receiver.url(), dir.file("journal"), dir.file("dead.ndjson"), input, dir.file("results.ndjson")])
        #expect(run.status == 1)
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results.ndjson")], deadLetter: dir.file("dead.ndjson"),
            received: receiver.recordPath, journal: dir.file("journal"))
        #expect(summary["delivered"] as? Int == 54 && summary["dead_lettered"] as? Int == 6, "\(summary)")
        ReliabilityTests.recordFigures(
            "forged webhook ids (CR LF, space, 300 characters, NUL, non-ASCII, DEL) among 60 lines", summary)
    }

    @Test(.enabled(if: ReliabilityTests.isRoot)) func journalOnAFullFilesystem() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let fs = try SmallFilesystem(in: dir, kilobytes: 1024)
        let journal = fs.path + "/journal"
        let seed = try Tool.run(
            "lt-send", ["--url", receiver.url(), "--allow-http", "--allow-private", "--journal", journal],
            stdin: SendFixtures.line("seed") + "\n")
        try #require(seed.status == 0, "\(seed.stderr)")
        try fs.fill(leaving: 8192)
        let input = try dir.write("input.ndjson", Self.sendLines(400, prefix: "full"))
        let args =
            "--url \"$1\" --allow-http --allow-private --concurrency 4 --journal \"$2\" --dead-letter \"$3\" < \"$4\" > \"$5\""
        let first = try Tool.shell(
            "lt-send \(args)",
            args: ["", receiver.url(), journal, dir.file("dead.ndjson"), input, dir.file("results-1.ndjson")])
        #expect(first.status == 74, "\(first.stderr.suffix(500))")
        #expect(
            first.stderr.contains("could not be recorded") || first.stderr.contains("could not be journaled"),
            "\(first.stderr.suffix(500))")
        let unjournaled = first.stderr.firstMatch(of: /(\d+) deliveries could not be journaled/).map { Int($0.1)! } ?? 0
        let firstResults = try ToolOutput(stdout: dir.read("results-1.ndjson"), stderr: "", status: 0).records()
        let notSent = firstResults.filter { ($0["error"] as? String)?.contains("not sent") == true }.count
        let delivered = firstResults.filter { $0["status"] as? String == "delivered" }.count
        #expect(notSent > 0 && delivered < 400, "lt-send went on sending after the journal filled up")
        // Deliveries whose journal entries did not reach the disk say so in their results.
        let flagged = firstResults.filter { $0["journaled"] as? Bool == false }
        #expect(flagged.count == unjournaled && unjournaled > 0, "\(flagged.count) flagged, \(unjournaled) said")
        #expect(flagged.allSatisfy { $0["status"] as? String == "delivered" })
        // A full disk is not damage: deleting the journal would be the wrong fix.
        #expect(!first.stderr.contains("damaged"))
        let fresh = try Tool.run(
            "lt-send",
            ["--url", receiver.url(), "--allow-http", "--allow-private", "--journal", fs.path + "/journal-2"],
            stdin: SendFixtures.line("fresh") + "\n")
        #expect(fresh.status == 74 && fresh.stderr.contains("free disk space"), "\(fresh.stderr)")
        #expect(!fresh.stderr.contains("damaged"))
        try fs.makeRoom()
        let second = try Tool.shell(
            "lt-send \(args)",
            args: ["", receiver.url(), journal, dir.file("dead.ndjson"), input, dir.file("results-2.ndjson")])
        #expect(second.status == 0, "\(second.stderr.suffix(500))")
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results-1.ndjson"), dir.file("results-2.ndjson")],
            deadLetter: dir.file("dead.ndjson"), received: receiver.recordPath, journal: journal,
            unjournaled: unjournaled)
        #expect(summary["delivered"] as? Int == 400)
        ReliabilityTests.recordFigures(
            "journal on a full filesystem (tmpfs): exit 74 after \(delivered) deliveries, re-run once room was made",
            summary)
    }

    @Test(.enabled(if: ReliabilityTests.isRoot)) func deadLetterFileOnAFullFilesystemHoldsOnlyWholeLines() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let fs = try SmallFilesystem(in: dir, kilobytes: 256)
        let dead = fs.path + "/dead.ndjson"
        try fs.fill(leaving: 4096)
        // Lines of about 3000 bytes: the second one straddles the last free page and is written only in part.
        let input = try dir.write("input.ndjson", Self.sendLines(40, prefix: "dl", pad: 3000))
        // No breaker: an endpoint that keeps failing would hold the lines (one probe per cooldown).
        let args =
            "--url \"$1\" --allow-http --allow-private --retries 0 --breaker-failures 0 --concurrency 2 --dead-letter \"$2\" < \"$3\" > \"$4\""
        let first = try Tool.shell(
            "lt-send \(args)", args: ["", receiver.url("/status/500/x"), dead, input, dir.file("results-1.ndjson")])
        #expect(first.status == 74, "\(first.stderr.suffix(500))")
        #expect(first.stderr.contains("could not be recorded"), "\(first.stderr.suffix(500))")
        let inputs = Set(try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").map(String.init))
        let written = dir.read("small-fs/dead.ndjson")
        #expect(
            written.hasSuffix("\n") && written.split(separator: "\n").allSatisfy { inputs.contains(String($0)) },
            "the dead-letter file holds part of a line")
        #expect(written.split(separator: "\n").count >= 1)
        try fs.makeRoom()
        let second = try Tool.shell(
            "lt-send \(args)", args: ["", receiver.url("/status/500/x"), dead, input, dir.file("results-2.ndjson")])
        #expect(second.status == 1, "\(second.stderr.suffix(500))")
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results-1.ndjson"), dir.file("results-2.ndjson")],
            deadLetter: dead, received: receiver.recordPath)
        #expect(summary["undelivered"] as? Int == 40)
        ReliabilityTests.recordFigures(
            "dead-letter file on a full filesystem (tmpfs): exit 74, only whole lines, re-run once room was made",
            summary)
    }

    @Test func closedStandardOutputLosesTrackOfNoLine() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("input.ndjson", Self.sendLines(300, prefix: "pipe"))
        let run = try Tool.shell(
            """
            lt-send --url "$1" --allow-http --allow-private --concurrency 8 --journal "$2" --dead-letter "$3" < "$4" 2> "$6" | head -n 5 > "$5"
            echo "status ${PIPESTATUS[0]}"
            """,
            args: [
                "", receiver.url("/slow/0.02/x"), dir.file("journal"), dir.file("dead.ndjson"), input,
                dir.file("results-1.ndjson"),
                dir.file("err"),
            ])
        #expect(!run.stdout.contains("status 0"), "\(run.stdout) \(dir.read("err").suffix(400))")
        #expect(dir.read("err").contains("standard output was closed"), "\(dir.read("err").suffix(400))")
        // Right after the closed run: everything the receiver took is journaled.
        let journaled = Set(
            try LtSendTrustTests.journalEntries(dir.file("journal")).map { String($0.split(separator: " ")[1]) })
        let received = try receiver.webhookIDs()
        #expect(
            !received.isEmpty && received.allSatisfy { journaled.contains($0) },
            "a delivery was neither journaled nor reported")
        let deadLettered = dir.read("dead.ndjson").split(separator: "\n").count
        #expect(deadLettered > 0, "lines read and not delivered were not dead-lettered")
        let second = try Tool.shell(
            """
            lt-send --url "$1" --allow-http --allow-private --concurrency 16 --journal "$2" --dead-letter "$3" < "$4" > "$5"
            """,
            args: [
                "", receiver.url("/slow/0.02/x"), dir.file("journal"), dir.file("dead.ndjson"), input,
                dir.file("results-2.ndjson"),
            ])
        #expect(second.status == 0, "\(second.stderr.suffix(400))")
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results-1.ndjson"), dir.file("results-2.ndjson")],
            deadLetter: dir.file("dead.ndjson"), received: receiver.recordPath, journal: dir.file("journal"))
        #expect(summary["delivered"] as? Int == 300)
        #expect(summary["duplicates"] as? Int == 0)
        ReliabilityTests.recordFigures(
            "standard output closed after 5 results (| head -n 5), then a re-run with the journal", summary)
    }

    @Test func twoConcurrentRunsOnOneJournal() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("input.ndjson", Self.sendLines(300, prefix: "twin"))
        let run = try Tool.shell(
            """
            run() { lt-send --url "$1" --allow-http --allow-private --journal "$2" --dead-letter "$3" < "$4" > "$5$6" 2> "$5$6.err"; echo "$6 $?"; }
            run "$@" a & run "$@" b & wait
            """,
            args: [
                "", receiver.url("/ok/x"), dir.file("journal"), dir.file("dead.ndjson"), input, dir.file("results-"),
            ])
        let statuses = run.stdout.split(separator: "\n").map { $0.split(separator: " ") }.reduce(
            into: [String: String]()
        ) { $0[String($1[0])] = String($1[1]) }
        #expect(Set(statuses.values) == ["0", "2"], "\(run.stdout)")
        let winner = statuses["a"] == "0" ? "a" : "b"
        let loser = winner == "a" ? "b" : "a"
        #expect(
            dir.read("results-\(loser).err").contains("in use by another process (pid "),
            "\(dir.read("results-\(loser).err"))")
        #expect(dir.read("results-\(loser)").isEmpty)
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results-\(winner)")], deadLetter: dir.file("dead.ndjson"),
            received: receiver.recordPath, journal: dir.file("journal"))
        #expect(summary["delivered"] as? Int == 300 && summary["duplicates"] as? Int == 0)
        ReliabilityTests.recordFigures(
            "two lt-send runs started at once on one journal: the second refused (exit 2), naming the first", summary)
    }

    @Test func journalWithACutOffLastEntryIsRepairedWithOneWarning() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let input = try dir.write("input.ndjson", Self.sendLines(400, prefix: "torn"))
        let journal = dir.file("journal")
        let args = [
            "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--concurrency", "8", "--journal",
            journal,
            "--dead-letter", dir.file("dead.ndjson"),
        ]
        let first = try BackgroundTool("lt-send", args + ["--rate", "300"], stdinFile: input, in: dir)
        try awaitCondition { try receiver.requests().count >= 100 || !first.process.isRunning }
        first.signal(SIGKILL)
        _ = first.wait()
        try dir.write("results-1.ndjson", first.stdout)
        // A write cut off by the crash: part of an entry at the end of the write-ahead log.
        let wal = try FileHandle(forWritingTo: URL(fileURLWithPath: journal + "-wal"))
        try wal.seekToEnd()
        try wal.write(contentsOf: Data((0..<1500).map { _ in UInt8.random(in: 0...255) }))
        try wal.close()
        let second = try Tool.shell(
            "out=$1; shift; lt-send \"$@\" < \"$0\" > \"$out\"", args: [input, dir.file("results-2.ndjson")] + args)
        #expect(second.status == 0, "\(second.stderr.suffix(400))")
        #expect(second.stderr.components(separatedBy: "cut short").count == 2, "\(second.stderr.suffix(600))")
        let third = try Tool.shell("lt-send \"$@\" < \"$0\" > /dev/null", args: [input] + args)
        #expect(third.status == 0 && !third.stderr.contains("cut short"), "\(third.stderr.suffix(400))")
        let summary = try Self.checkDelivery(
            input: input, results: [dir.file("results-1.ndjson"), dir.file("results-2.ndjson")],
            deadLetter: dir.file("dead.ndjson"), received: receiver.recordPath, journal: journal, kills: 1)
        #expect(summary["delivered"] as? Int == 400 && summary["duplicates"] as? Int == 0)
        ReliabilityTests.recordFigures(
            "journal whose last entry was cut off (SIGKILL, then a partial write appended), repaired on open", summary)
    }
}
