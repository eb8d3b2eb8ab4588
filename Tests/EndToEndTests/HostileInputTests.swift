import Foundation
import Testing

/// Hostile input fed to every tool: each line gets one output line (a clear error record where the
/// line is bad), nothing crashes, and the exit status says whether every line succeeded.
@Suite struct HostileInputTests {
    /// One small warehouse for the whole suite (lookups are skipped here: the flag is off).
    static let warehouse: String = {
        let db = SuiteFolder.make("lt-hostile") + "/warehouse.db"
        _ = try? Tool.shell("sqlite3 \"$0\" < \"$1\"", args: [db, Tool.packageRoot + "/examples/warehouse.sql"])
        return db
    }()

    static let tools: [(String, [String])] = [
        ("lt-query", ["--warehouse", "sqlite:" + warehouse, "--no-cache"]),
        ("lt-enrich", ["--flag", "on"]),
    ]

    /// Runs `tool` over `input` (given as bytes through a file) and returns its output records.
    func run(_ tool: String, _ args: [String], _ input: [UInt8], in dir: Workdir) throws -> (
        ToolOutput, [[String: Any]]
    ) {
        let path = dir.file("input-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: path, contents: Data(input))
        let out = try Tool.shell("\"$0\" \"$@\" < \"$INPUT\"", args: [Tool.path(tool)] + args, env: ["INPUT": path])
        return (out, try out.records())
    }

    static let cases: [(String, [UInt8], Int)] = [
        ("invalid UTF-8", Array(#"{"a":""#.utf8) + [0xFF, 0xFE] + Array("\"}\n".utf8), 1),
        ("NUL byte", Array(#"{"a":""#.utf8) + [0x00] + Array("\"}\n".utf8), 1),
        (
            "nesting 100,000 deep",
            Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n").utf8), 1
        ),
        ("empty line", Array("\n".utf8), 1),
        ("huge number", Array(#"{"n": 1e400, "m": 123456789012345678901234567890}"#.utf8) + [0x0A], 0),
        (
            "SQL in a course key",
            Array(
                #"{"user":{"id":1},"course":{"course_id":"x'); DROP TABLE LEARNING_TIME;--"},"enrichment":{},"enterprise":{"enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#
                    .utf8) + [0x0A], 0
        ),
    ]

    @Test(arguments: tools)
    func badLinesBecomeErrorRecordsAndTheRestFlows(_ tool: (String, [String])) throws {
        let dir = try Workdir()
        for (name, bytes, errors) in Self.cases {
            let good = Array(#"{"hello":"world"}"#.utf8) + [0x0A]
            let path = dir.file("input-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes + good))
            let out = try Tool.shell(
                "\"$0\" \"$@\" < \"$INPUT\"", args: [Tool.path(tool.0)] + tool.1, env: ["INPUT": path])
            // Checked as text: Foundation cannot read some valid JSON here (1e400), the tools can.
            #expect(out.lines.count == 2, "\(tool.0), \(name): \(out.lines.count) output lines")
            #expect(out.lines.filter { $0.hasPrefix(#"{"error":{"tool":"#) }.count == errors, "\(tool.0), \(name)")
            #expect(out.status == (errors > 0 ? 1 : 0), "\(tool.0), \(name): exit \(out.status)")
            if errors > 0 {
                #expect(out.stderr.contains("(at <stdin>:1)"), "\(tool.0), \(name): \(out.stderr.prefix(200))")
            }
            #expect(out.lines.last?.hasPrefix(#"{"payload":{"hello":"world"}"#) == true)
        }
    }

    @Test(arguments: tools)
    func byteOrderMarkCRLFAndNoFinalNewlineAreAccepted(_ tool: (String, [String])) throws {
        let dir = try Workdir()
        let input: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\r\n{\"b\":2}\r\n{\"c\":3}".utf8)
        let (out, records) = try run(tool.0, tool.1, input, in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0["payload"] != nil })
    }

    @Test(arguments: tools)
    func anEmptyFileGivesNothingAndSucceeds(_ tool: (String, [String])) throws {
        let dir = try Workdir()
        let (out, records) = try run(tool.0, tool.1, [], in: dir)
        #expect(out.status == 0)
        #expect(records.isEmpty)
    }

    @Test(arguments: tools)
    func aTenMegabyteLinePassesThroughWhole(_ tool: (String, [String])) throws {
        let dir = try Workdir()
        let big = #"{"blob":""# + String(repeating: "x", count: 10 << 20) + "\"}\n"
        let (out, records) = try run(tool.0, tool.1, Array(big.utf8) + Array("{\"b\":2}\n".utf8), in: dir)
        #expect(out.status == 0)
        #expect(records.count == 2)
        #expect(((records.first?["payload"] as? [String: Any])?["blob"] as? String)?.count == 10 << 20)
    }

    @Test(arguments: tools)
    func duplicateKeysAreKeptAsTheyCame(_ tool: (String, [String])) throws {
        let dir = try Workdir()
        let line = #"{"a":1,"a":2,"b":{"c":1,"c":2}}"#
        let (out, _) = try run(tool.0, tool.1, Array((line + "\n").utf8), in: dir)
        #expect(out.status == 0)
        #expect(out.stdout.contains(#""payload":{"a":1,"a":2,"b":{"c":1,"c":2}}"#))
    }

    /// An input that never ends, as `tail -f` gives: output keeps coming while the input stays
    /// open, and resident memory after 300,000 lines is what it was after 50,000. Every line is a
    /// new learner, so lt-query asks the warehouse for each; its file cache is off here because the
    /// cache's memory map grows with the file up to its fixed size (16 MiB), by design.
    @Test(arguments: [
        ("lt-query", ["--warehouse", "sqlite:" + warehouse, "--no-cache", "--flag", "on"]),
        ("lt-enrich", ["--flag", "on"]),
        ("lt-send", ["--dry-run", "--url", "https://partner.example/hook"]),
    ])
    func anEndlessStreamKeepsMemoryFlat(_ tool: (String, [String])) throws {
        let template =
            #"{"payload":{"user":{"id":{n}},"course":{"course_id":"course-v1:edX+DemoX+Demo_Course"},"completion":{"is_passing":true},"enterprise":{"enterprise_customer_uuid":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}}"#
        let out = try Tool.shell(
            "python3 \"$0\" --template \"$1\" --checkpoints 50000,300000,550000 -- \"$2\" \"${@:3}\"",
            args: [Tool.packageRoot + "/scripts/endless-stream.py", template, Tool.path(tool.0)] + tool.1)
        #expect(out.status == 0, "\(tool.0): \(out.stdout) \(out.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any] ?? [:]
        let rss = try #require(report["rss_kib"] as? [Int], "\(tool.0): \(out.stdout)")
        try #require(rss.count == 3)
        // 250,000 lines between samples: a leak of even 16 bytes a line would show as 4 MB in each
        // interval. The bound leaves room for lt-send's queue of results waiting on a slow reader
        // (256 KiB) and the allocator's slack around it, which a loaded machine showed as 2.2–3.1 MB
        // in the first interval of single runs. Why the smaller of two intervals: a leak grows both,
        // while warm-up (the allocator settling, queues reaching their bound once) shows in one only.
        let growth = min(rss[1] - rss[0], rss[2] - rss[1])
        #expect(
            growth < 3072,
            "\(tool.0): \(rss[0]) KiB after 50,000 lines, \(rss[1]) KiB after 300,000, \(rss[2]) KiB after 550,000")
    }

    @Test func lineSendRejectsHostileLinesWithoutSendingThem() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        var input: [UInt8] = []
        for (_, bytes, errors) in Self.cases where errors > 0 { input += bytes }
        input += Array(#"{"ok":true}"#.utf8) + [0x0A]
        let path = dir.file("input")
        _ = FileManager.default.createFile(atPath: path, contents: Data(input))
        let out = try Tool.shell(
            "lt-send --url \"$1\" --allow-http --allow-private --dead-letter \"$2\" < \"$3\"",
            args: ["", receiver.url(), dir.file("dead"), path])
        let results = try out.records()
        #expect(results.count == 5)
        #expect(results.filter { $0["status"] as? String == "rejected" }.count == 4)
        #expect(try receiver.requests().count == 1)
        // Read as bytes: the dead-letter file keeps the invalid UTF-8 lines as they came.
        let dead = (try? Data(contentsOf: URL(fileURLWithPath: dir.file("dead")))) ?? Data()
        #expect(dead.filter { $0 == 0x0A }.count == 4)
        #expect(out.status == 1)
    }
}
