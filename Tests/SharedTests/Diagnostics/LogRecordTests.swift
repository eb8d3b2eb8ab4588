import Foundation
import Testing

@testable import Shared

/// Log records as the specification shows them, and repeats summarised.
@Suite struct LogRecordTests {
    /// What `body` writes through a Diagnostics on a pipe.
    func written(format: LogFormat = .human, threshold: DiagnosticLevel = .warning, _ body: (Diagnostics) -> Void)
        -> String
    {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let d = Diagnostics(tool: "lt-test", threshold: threshold, fd: fds[1])
        d.format = format
        body(d)
        close(fds[1])
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        close(fds[0])
        return String(decoding: out, as: UTF8.self)
    }

    @Test func jsonRecordsCarryHintSourceLineAndContext() throws {
        let text = written(format: .json) { d in
            d.error(
                InputError("the line is not valid JSON", hint: "fix the producer"),
                at: SourceLocation(source: "<stdin>", line: 17),
                context: ["user_id": .int(12345), "query_duration_ms": .double(1.5), "course_id": .string("c")])
        }
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(obj["level"] as? String == "ERROR")
        #expect(obj["message"] as? String == "the line is not valid JSON")
        #expect(obj["hint"] as? String == "fix the producer")
        #expect(obj["source"] as? String == "<stdin>")
        #expect(obj["line"] as? Int == 17)
        let context = try #require(obj["context"] as? [String: Any])
        #expect(context["user_id"] as? Int == 12345)
        #expect(context["query_duration_ms"] as? Double == 1.5)
        #expect(context["course_id"] as? String == "c")
    }

    @Test func repeatedProblemsAreSummarisedAtTheDefaultLevel() {
        let text = written { d in
            for i in 1...1000 { d.error("line \(i) is not valid JSON", at: SourceLocation(source: "<stdin>", line: i)) }
            d.warning("something else")
            d.reportRepeats()
            #expect(d.errorCount == 1000)
            #expect(d.hasFailed)
        }
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("lt-test: error (at <stdin>:") }.count == 5)
        #expect(lines.contains { $0.contains("something else") })
        #expect(lines.contains { $0.contains("995 more like \"line 1 is not valid JSON\" not shown") }, "\(text)")
        #expect(lines.count == 5 + 1 + 1 + 1)  // five shown, the note, the other warning, the count
    }

    /// A long run repeats a warning per lookup: its context is built for the records shown only.
    @Test func theContextOfARepeatThatIsNotShownIsNeverBuilt() {
        var built = 0
        func context(_ i: Int) -> LogContext {
            built += 1
            return ["user_id": .int(Int64(i))]
        }
        let text = written { d in
            for i in 1...100 { d.warning("no learning time data for key \(i)", context: context(i)) }
        }
        #expect(built == 5)
        #expect(text.contains("user_id=5") && !text.contains("user_id=6"))
    }

    @Test func verboseShowsEveryRecord() {
        let text = written(threshold: .info) { d in
            for i in 1...50 { d.warning("no data for key \(i)") }
            d.reportRepeats()
        }
        #expect(text.split(separator: "\n").count == 50)
    }
}
