import Foundation
import Testing

/// lt-send's memory is bounded in bytes, not only in lines: large lines to a slow receiver on
/// 127.0.0.1 stop input reading at `--window-bytes`, and `--stats` reports the peak.
@Suite struct LtSendByteBoundTests {
    /// 24 lines of 1 MiB each (2 MiB with the payload sent), answered after 200 ms, 16 at a time:
    /// by count alone (--window 256) all 24 would be read at once, 48 MiB; the byte bound holds
    /// them to 4 MiB plus the one line read last.
    @Test func largeLinesStopReadingAtTheByteBound() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let blob = String(repeating: "x", count: 1 << 20)
        let input = (1...24).map {
            #"{"id":"big-\#($0)","payload":{"event_type":"course_completion","blob":"\#(blob)"}}"# + "\n"
        }.joined()
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/slow/0.2/x"), "--allow-http", "--allow-private", "--concurrency", "16",
                "--window-bytes", "4MiB", "--stats",
            ], stdin: input)
        #expect(out.status == 0, "\(out.stderr.suffix(500))")
        #expect(try out.records().count == 24)
        let peak = try #require(
            out.stderr.split(separator: "\n").first { $0.contains("peak_line_bytes=") }.flatMap {
                Int($0.split(separator: "peak_line_bytes=")[1].prefix { $0.isNumber })
            })
        let line = input.utf8.count / 24
        #expect(peak >= 4 << 20, "the bound was never reached: \(peak)")
        #expect(peak < (4 << 20) + 2 * line + 4096, "\(peak) bytes of lines under way")
    }

    @Test func aBadByteCountIsAUsageError() throws {
        let out = try Tool.run("lt-send", ["--url", "http://127.0.0.1:9/x", "--window-bytes", "lots"], stdin: "")
        #expect(out.status == 64)
        #expect(out.stderr.contains("--window-bytes"))
    }
}
