import Foundation
import Testing

/// Hostile shapes end to end: repeated members never decide a lookup or a splice, payloads of any
/// shape are enriched through an envelope's `event` and `key` (the recipes in examples/RECIPES.md,
/// run as written), and the 64 MiB line limit holds for regular files and file arguments.
@Suite struct LookupPayloadShapeTests {
    typealias F = LtQueryFixture

    static let warehouse: String = {
        let db = SuiteFolder.make("lt-shape") + "/warehouse.db"
        _ = try? Tool.shell("sqlite3 \"$0\" < \"$1\"", args: [db, Tool.packageRoot + "/examples/warehouse.sql"])
        return db
    }()

    static let good = F.completion(user: 12345, course: "course-v1:edX+DemoX+Demo_Course")

    func query(_ input: String) throws -> ToolOutput {
        try Tool.run(
            "lt-query", ["--warehouse", "sqlite:" + Self.warehouse, "--no-cache", "--flag", "on"], stdin: input)
    }

    @Test func duplicateMembersNeverDecideALookup() throws {
        let u = F.enterprise
        let lines = [
            #"{"user":{"id":12345,"id":23456},"course":{"course_id":"course-v1:edX+DemoX+Demo_Course"},"completion":{},"enterprise":{"enterprise_customer_uuid":"\#(u)"}}"#,
            #"{"event":"course_completion","key":{"user_id":12345,"course_id":"course-v1:edX+DemoX+Demo_Course","enterprise_customer_uuid":"\#(u)"},"key":{"user_id":23456,"course_id":"course-v1:MITx+6.00.1x+2026_T1","enterprise_customer_uuid":"\#(u)"},"payload":{"a":1}}"#,
            #"{"payload":\#(Self.good),"payload":{"user":{"id":1}}}"#,
            Self.good,
        ]
        let out = try query(lines.joined(separator: "\n") + "\n")
        #expect(out.status == 1)
        let got = try F.lookups(out)
        try #require(got.count == 4)
        #expect(got.map { $0["status"] as? String } == ["invalid", "invalid", "invalid", "found"])
        #expect((got[0]["error"] as? String)?.contains(#"duplicate member "payload.user.id""#) == true, "\(got[0])")
        #expect((got[1]["error"] as? String)?.contains(#"duplicate member "key""#) == true)
        #expect((got[2]["error"] as? String)?.contains(#"duplicate member "payload""#) == true)
        #expect(out.stderr.contains("(at <stdin>:1)"))
        // lt-enrich applies the same rule, whatever the lookup says: a forged `found` is not spliced in.
        let forged =
            #"{"payload":{"user":{"id":1,"id":2},"course":{"course_id":"c"},"completion":{}},"lookup":\#(LtEnrichTests.found)}"#
        let enriched = try LtEnrichTests.enrich(["--flag", "on"], out.lines + [forged])
        let records = try enriched.records()
        try #require(records.count == 5)
        let reasons = records.map { ($0["enrichment"] as? [String: Any])?["reason"] as? String }
        #expect(reasons == ["invalid", "invalid", "invalid", nil, "invalid"])
        #expect(
            enriched.lines[4].contains(
                #""payload":{"user":{"id":1,"id":2},"course":{"course_id":"c"},"completion":{}}"#))
        #expect(!enriched.lines[4].contains("total_hours"))
        #expect(enriched.stderr.contains("duplicate member"))
    }

    @Test func lineSendRejectsAnEnvelopeThatRepeatsItsOwnMembers() throws {
        let line = #"{"integration":"a","integration":"b","payload":{"completion":{}}}"#
        let out = try Tool.run(
            "lt-send", ["--url", "http://127.0.0.1:9/hook", "--allow-http", "--allow-private"], stdin: line + "\n")
        #expect(out.status == 1)
        let result = try #require(try out.records().first)
        #expect(result["status"] as? String == "rejected")
        #expect((result["error"] as? String)?.contains(#"duplicate member "integration""#) == true, "\(result)")
    }

    @Test func lineEnrichNeverSplicesIntoATargetThatAppearsTwice() throws {
        let top = LtEnrichTests.envelope(#"{"completion":{},"learning_time":1,"learning_time":2}"#)
        let nested = LtEnrichTests.envelope(#"{"completion":{"learning_time":1,"learning_time":2}}"#)
        let fine = LtEnrichTests.envelope(#"{"completion":{"learning_time":1}}"#)
        let first = try LtEnrichTests.enrich(["--flag", "on"], [top])
        #expect(first.status == 1)
        #expect(first.lines.count == 1)
        #expect(first.lines[0].hasPrefix(#"{"error":{"tool":"lt-enrich""#))
        #expect(first.lines[0].contains(#"the payload has \"learning_time\" twice"#))
        let second = try LtEnrichTests.enrich(
            ["--flag", "on", "--field", "completion.learning_time", "--format", "seconds"], [nested, fine])
        #expect(second.status == 1)
        #expect(second.lines.count == 2)
        #expect(second.lines[0].hasPrefix(#"{"error":"#))
        #expect(second.lines[1].contains(#""completion":{"learning_time":18540}"#))
    }

    /// The commands of the examples/RECIPES.md section under `heading`, as written there.
    func recipe(_ heading: String) throws -> String {
        let text = try String(contentsOfFile: Tool.packageRoot + "/examples/RECIPES.md", encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("## " + heading) })
        let block = lines[(start + 1)...].drop { !$0.hasPrefix("    ") }.prefix { $0.hasPrefix("    ") }
        return block.map { String($0.dropFirst(4)) }.joined(separator: "\n")
    }

    func run(recipe heading: String) throws -> ToolOutput {
        let script = try recipe(heading)
        #expect(script.contains("lt-enrich"), "\(heading): \(script)")
        let cache = try Workdir()
        let env = [
            "LT_WAREHOUSE": "sqlite:" + Self.warehouse, "ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT": "true",
            "LT_CACHE_DIR": cache.file("cache"),
        ]
        return try Tool.shell("set -o pipefail\n" + script, env: env, cwd: Tool.packageRoot)
    }

    @Test func recipeFillsPercipiosDurationSpentAndKeepsEveryOtherByte() throws {
        let out = try run(recipe: "Percipio's flat payload")
        #expect(out.status == 0, "\(out.stderr)")
        let inputs = try String(contentsOfFile: Tool.packageRoot + "/examples/percipio.ndjson", encoding: .utf8)
            .split(separator: "\n").map { try F.payloadText(of: String($0)) }
        try #require(out.lines.count == 3)
        #expect(
            out.lines[0]
                == inputs[0].replacingOccurrences(of: #""duration_spent": 0}"#, with: #""duration_spent": 18540}"#))
        #expect(
            out.lines[1]
                == inputs[1].replacingOccurrences(of: #""duration_spent": 0}"#, with: #""duration_spent": 3618}"#))
        #expect(out.lines[2] == inputs[2])
        #expect(out.stderr.contains("replaced"))
    }

    @Test func recipeWritesSecondsInsideCompletionForUpstreamsForm() throws {
        let out = try run(recipe: "Upstream's form")
        #expect(out.status == 0, "\(out.stderr)")
        let inputs = try String(contentsOfFile: Tool.packageRoot + "/examples/completions.ndjson", encoding: .utf8)
            .split(separator: "\n").map { try F.payloadText(of: String($0)) }
        try #require(out.lines.count == inputs.count)
        #expect(
            out.lines[0]
                == inputs[0].replacingOccurrences(
                    of: #""is_passing": true}"#, with: #""is_passing": true,"learning_time":18540}"#))
        let enrolment = try #require(inputs.firstIndex { $0.contains("enrollment_date") })
        #expect(out.lines[enrolment] == inputs[enrolment])
    }

    /// A line just over 64 MiB in a regular file, given on standard input or as an argument: an
    /// error record in lt-query and lt-enrich, a rejected result in lt-send, and the next line flows.
    @Test func theLineLimitHoldsForRegularFilesAndFileArguments() throws {
        let dir = try Workdir()
        let length = (64 << 20) + 5
        let path = dir.file("long.ndjson")
        var bytes = Array(#"{"blob":""#.utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: length - bytes.count - 2) + Array("\"}".utf8)
        bytes += Array("\n".utf8) + Array(#"{"error":{"tool":"earlier","message":"m"},"input":"next"}"#.utf8) + [0x0A]
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let runs: [(String, String, [String])] = [
            ("lt-query", "argument", ["--warehouse", "sqlite:" + Self.warehouse, "--no-cache", "--flag", "on"]),
            ("lt-enrich", "stdin", ["--flag", "on"]),
            ("lt-send", "stdin", ["--url", "http://127.0.0.1:9/hook", "--allow-http", "--allow-private"]),
        ]
        let small = try dir.write("small.ndjson", #"{"error":{"message":"m"},"input":"i"}"# + "\n")
        /// Runs `tool` on `file` and returns its output and its peak memory in KiB, measured by the kernel.
        func measured(_ tool: String, _ how: String, _ file: String, _ args: [String]) throws -> (ToolOutput, Int) {
            let out = try Tool.shell(
                """
                python3 -c 'import resource, subprocess, sys
                how, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
                r = subprocess.run(cmd + ([path] if how == "argument" else []), stdin=open(path if how == "stdin" else "/dev/null"), capture_output=True)
                sys.stdout.buffer.write(r.stdout)
                sys.stderr.write("rss_kib=%d status=%d\\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode))' "$@"
                """, args: ["", how, file, Tool.path(tool)] + args)
            return (out, Int(out.stderr.components(separatedBy: "rss_kib=").last?.prefix { $0.isNumber } ?? "") ?? .max)
        }
        for (tool, how, args) in runs {
            let (_, base) = try measured(tool, how, small, args)
            let (out, rss) = try measured(tool, how, path, args)
            #expect(out.lines.count == 2, "\(tool) \(how): \(out.stderr)")
            #expect(out.stderr.contains("status=1"), "\(tool) \(how): \(out.stderr)")
            let first = out.lines.first ?? ""
            if tool == "lt-send" {
                #expect(
                    first.contains(#""status":"rejected""#) && first.contains("\(length) bytes long"),
                    "\(first.prefix(300))")
            } else {
                #expect(first.hasPrefix(#"{"error":{"tool":"\#(tool)""#), "\(tool) \(how)")
                #expect(first.contains(#""input_truncated_from":\#(length)"#), "\(tool) \(how)")
                #expect(out.lines.last?.contains(#""input":"next""#) == true)
            }
            // One line at the limit, not two (growing by copying) nor the whole read ahead.
            #expect(rss - base < 72 << 10, "\(tool) \(how): peak RSS \(rss) KiB, \(base) KiB on a one-line input")
        }
    }
}

extension LtQueryFixture {
    /// The payload's bytes in an envelope line, or the line itself when it is a bare payload.
    static func payloadText(of line: String) throws -> String {
        guard line.hasPrefix(#"{"id""#) || line.contains(#""payload": {"#) else { return line }
        let start = try #require(line.range(of: #""payload": "#)).upperBound
        return String(line[start...].dropLast())
    }
}
