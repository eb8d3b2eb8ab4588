import Foundation
import Testing

@testable import Shared

/// The one place diagnostics go through, in process: the tool's own prefix and location, the
/// threshold, a sticky failure flag, secrets masked whatever their origin.
@Suite struct DiagnosticsTests {
    @Test func humanLinesNameTheToolTheLevelAndTheLocation() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", threshold: .info, fd: file.fd)
        d.error("bad line; fix it", at: SourceLocation(source: "<stdin>", line: 17))
        d.warning("careful")
        d.info("said")
        d.debug("not said")
        #expect(
            file.lines == [
                "lt-test: error (at <stdin>:17): bad line; fix it", "lt-test: warning: careful", "lt-test: info: said",
            ])
        #expect(d.hasFailed)
        #expect(d.errorCount == 1 && d.warningCount == 1)
    }

    @Test func humanLinesCannotBeForgedOrActOnTheTerminal() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", fd: file.fd)
        let fromOutside = "u-1\nlt-test: error: forged\u{1B}]0;title\u{07}\u{1B}[2J"
        d.warning(
            "no learning time for \(fromOutside)", hint: "partner said \r\u{9B}1m",
            context: ["user": .string(fromOutside)])
        #expect(file.lines.count == 1)
        let line = try #require(file.lines.first)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value <= 0x9F) })
        #expect(line.contains(#"u-1\nlt-test: error: forged\x1b]0;title\x07\x1b[2J"#))
    }

    @Test func warningsDoNotFailTheRunAndMarkFailedSaysNothing() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", fd: file.fd)
        d.warning("w")
        #expect(!d.hasFailed)
        d.markFailed()
        #expect(d.hasFailed)
        #expect(file.lines == ["lt-test: warning: w"])
    }

    @Test func thresholdFiltersAndWarnOnceSaysItOnce() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", threshold: .error, fd: file.fd)
        d.warning("hidden")
        #expect(!d.isOn(.warning) && d.isOn(.error))
        d.threshold = .warning
        for _ in 0..<3 { d.warnOnce("k", "once") }
        #expect(file.lines == ["lt-test: warning: once"])
    }

    @Test func secretsAreMaskedEverywhere() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", fd: file.fd)
        d.redact("hunter2-secret")
        d.redact("abc")  // too short to mask without garbling text
        d.error("token hunter2-secret was refused by abc")
        d.raw("summary with hunter2-secret")
        d.format = .json
        d.error("again hunter2-secret")
        #expect(!file.text.contains("hunter2-secret"))
        #expect(file.lines[0] == "lt-test: error: token *** was refused by abc")
        #expect(file.lines[1] == "summary with ***")
    }

    @Test func jsonRecordsAreOneObjectPerEvent() throws {
        let file = try ScratchFile()
        let d = Diagnostics(tool: "lt-test", fd: file.fd)
        d.format = .json
        d.error("a \"quoted\"\nmessage", at: SourceLocation(source: "in.ndjson", line: 3))
        d.warning("second")
        #expect(file.lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(file.lines[0].utf8)) as? [String: Any]
        #expect(first?["level"] as? String == "ERROR")
        #expect(first?["logger"] as? String == "lt-test")
        #expect(first?["message"] as? String == "a \"quoted\"\nmessage")
        #expect(file.lines[0].contains("in.ndjson"))
    }
}
