import LTCore
import Testing

@testable import Shared

/// ``Diagnostics`` in its three parts: the sink gets the records it decides to show, the run's
/// status is kept apart from what is written, and a sink of one's own can take the standard one's place.
@Suite struct LogSinkTests {
    final class RecordingSink: LogSink {
        struct Record {
            let level: DiagnosticLevel
            let message: String
            let hint: String
            let source: LTCore.SourceLocation?
            let metadata: LogContext
        }
        var logLevel: DiagnosticLevel = .warning
        var records: [Record] = []
        var raw: [String] = []

        func log(
            level: DiagnosticLevel, message: String, hint: String, source: LTCore.SourceLocation?, metadata: LogContext
        ) {
            records.append(Record(level: level, message: message, hint: hint, source: source, metadata: metadata))
        }

        func write(raw text: String) { raw.append(text) }
    }

    @Test func aSinkOfOnesOwnGetsTheRecordsShownWithTheirMetadata() {
        let sink = RecordingSink()
        let d = Diagnostics(tool: "lt-test", sink: sink, secrets: SecretSet())
        var built = false
        d.info(
            "below the level",
            context: {
                built = true; return [:]
            }())
        d.warning("slow answer", context: ["query_duration_ms": .int(1200)])
        d.error("bad line", hint: "fix it", at: SourceLocation(source: "<stdin>", line: 17))
        d.raw("lines=2")
        #expect(!built, "metadata was built for a record below the level")
        #expect(sink.records.map(\.message) == ["slow answer", "bad line"])
        #expect(sink.records[0].metadata == ["query_duration_ms": .int(1200)])
        #expect(sink.records[1].hint == "fix it" && sink.records[1].source?.line == 17)
        #expect(sink.raw == ["lines=2"])
        #expect(d.status.hasFailed && d.status.errorCount == 1 && d.status.warningCount == 1)
    }

    @Test func theStatusCountsWhatTheSinkIsNotShown() {
        let sink = RecordingSink()
        let d = Diagnostics(tool: "lt-test", sink: sink, secrets: SecretSet())
        for i in 1...8 { d.warning("line \(i) has no key") }
        d.markFailed()
        d.reportRepeats()
        // Five shown, a note that the rest are counted, and the count at the end.
        #expect(sink.records.filter { $0.level == .warning }.count == 6)
        #expect(sink.records.contains { $0.level == .info && $0.message.contains("counted from now on") })
        #expect(sink.records.last?.message.contains("3 more like") == true)
        #expect(d.status.warningCount == 8 && d.status.hasFailed && d.status.errorCount == 0)
    }

    @Test func theLevelIsTheSinks() {
        let sink = RecordingSink()
        let d = Diagnostics(tool: "lt-test", sink: sink, secrets: SecretSet())
        d.threshold = .error
        #expect(sink.logLevel == .error)
        d.warning("not shown")
        #expect(sink.records.isEmpty)
    }
}
