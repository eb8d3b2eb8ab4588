import Foundation
import Testing

/// The exit status says what kind of error stopped a tool, decided in one place from the error's kind.
@Suite struct ExitStatusTests {
    @Test func aFullDiskIsAnIOErrorNotAConfigurationError() throws {
        let line = #"{"payload":{"completion":{}},"lookup":{"status":"not_found"}}"#
        // /dev/full accepts the open and refuses every write with ENOSPC, as a full disk does.
        let out = try Tool.shell("\"$0\" --flag on > /dev/full", args: [Tool.path("lt-enrich")], stdin: line + "\n")
        #expect(out.status == 74, "\(out.stderr)")
        #expect(
            out.stderr.contains("lt-enrich: error: cannot write <stdout>: No space left on device"), "\(out.stderr)")
    }

    @Test func aMissingInputFileFailsItsLinesAndTheRestGoOn() throws {
        let dir = try Workdir()
        let good = try dir.write("good.ndjson", #"{"payload":{"enrollment":{}}}"# + "\n")
        let out = try Tool.run("lt-enrich", ["--flag", "on", dir.file("absent.ndjson"), good])
        #expect(out.status == 1)
        #expect(out.lines.count == 1)
        #expect(out.stderr.contains("cannot open \(dir.file("absent.ndjson"))"))
    }

    @Test func aBadMetricsVariableIsAConfigurationErrorAndABadOptionAUsageError() throws {
        let line = #"{"payload":{"enrollment":{}}}"# + "\n"
        let variable = try Tool.run(
            "lt-enrich", ["--flag", "on"], stdin: line, env: ["LT_METRICS": "udp://s3cret@host"])
        #expect(variable.status == 2, "\(variable.stderr)")
        #expect(variable.stderr.contains("LT_METRICS is not a statsd://HOST:PORT address"), "\(variable.stderr)")
        #expect(!variable.stderr.contains("s3cret"))
        #expect(variable.stdout.isEmpty)
        let option = try Tool.run("lt-enrich", ["--flag", "on", "--metrics", "udp://host:1"], stdin: line)
        #expect(option.status == 64, "\(option.stderr)")
        // An option given on the command line wins over the variable, whatever the variable holds.
        let both = try Tool.run(
            "lt-enrich", ["--flag", "on", "--metrics", "statsd://127.0.0.1:9"], stdin: line,
            env: ["LT_METRICS": "udp://host"])
        #expect(both.status == 0, "\(both.stderr)")
    }
}
