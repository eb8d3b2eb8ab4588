import Foundation
import Testing

@testable import Shared

/// The Enricher in process: learning time spliced in with every other byte kept, the reason
/// when it is left out, and error records that pass through or are made from bad lines.
@Suite struct EnricherTests {
    static let found =
        #"{"status":"found","total_seconds":18540,"last_updated":"2026-01-10T00:00:00Z","source":"warehouse"}"#
    static let inserted =
        #","learning_time":{"total_seconds":18540,"total_hours":5.15,"last_updated":"2026-01-10T00:00:00Z"}"#

    /// Runs `lines` through an Enricher with the flag `flag`, returning its output lines, its
    /// diagnostics and whether the run failed.
    func enrich(_ lines: [String], flag: String = "on", options: EnrichOptions = EnrichOptions()) throws
        -> (out: [String], diagnostics: [String], failed: Bool, stats: EnrichStats)
    {
        let input = try ScratchFile(lines.map { $0 + "\n" }.joined())
        let output = try ScratchFile()
        let log = try ScratchFile()
        let diagnostics = Diagnostics(tool: "lt-enrich", fd: log.fd)
        let writer = OutputWriter(fd: output.fd, name: "<test>")
        let enricher = Enricher(
            flag: try EnrichmentFlag.resolve(option: flag, environment: [:]), options: options,
            diagnostics: diagnostics, metrics: Metrics(tool: "lt-enrich"), output: writer)
        try enricher.run(try LineReader.open(input.path))
        return (output.lines, log.lines, diagnostics.hasFailed, enricher.stats)
    }

    @Test func onlyTheNewMemberIsAdded() throws {
        let payloads = [
            #"{"completion":{"é":"\u00e9 \"q\""},"big":123456789012345678901234567890123,"g":-0.0,"i":0.10}"#,
            "{ \"z\" : [ 1 , { } ] ,\t\"completion\" :\t{ } ,\r \"y\":\"ü日本🎉\" }",
            #"{"event_type":"course_completion","nested":{"learning_time":"not this one"}}"#,
        ]
        var options = EnrichOptions()
        options.unwrap = true
        let r = try enrich(payloads.map { #"{"payload":\#($0),"lookup":\#(Self.found)}"# }, options: options)
        #expect(!r.failed)
        try #require(r.out.count == payloads.count)
        for (input, output) in zip(payloads, r.out) {
            let bytes = Array(output.utf8)
            let member = Array(Self.inserted.utf8)
            let at = try #require(bytes.firstRange(of: member), "\(output)")
            #expect(Array(bytes[..<at.lowerBound]) + Array(bytes[at.upperBound...]) == Array(input.utf8))
        }
        #expect(r.stats.lines == 3)
    }

    @Test func reasonsAreWrittenAndThePayloadKept() throws {
        let completion = #"{"completion":{}}"#
        let cases: [(String, String)] = [
            (#"{"payload":{"enrollment":{}},"lookup":\#(Self.found)}"#, "not_completion"),
            (#"{"payload":\#(completion)}"#, "no_lookup"),
            (#"{"payload":\#(completion),"lookup":{"status":"not_found"}}"#, "not_found"),
            (#"{"payload":\#(completion),"lookup":{"status":"unavailable","error":"down"}}"#, "unavailable"),
            (
                #"{"payload":\#(completion),"lookup":{"status":"found","total_seconds":0,"last_updated":"2026-01-10T00:00:00Z"}}"#,
                "zero_total"
            ),
        ]
        let r = try enrich(cases.map(\.0))
        try #require(r.out.count == cases.count)
        for ((_, reason), line) in zip(cases, r.out) {
            #expect(line.contains(#""enrichment":{"learning_time":false,"reason":"\#(reason)""#), "\(line)")
        }
        let off = try enrich([#"{"payload":\#(completion),"lookup":\#(Self.found)}"#], flag: "off")
        #expect(off.out.first?.contains(#""reason":"flag_off""#) == true)
        #expect(off.diagnostics.contains { $0.contains("enrichment is off") })
    }

    @Test func errorRecordsPassThroughAndBadLinesBecomeThem() throws {
        let record = #"{"error":{"message":"from upstream"},"line":1}"#
        let r = try enrich([record, "not json", #"{"payload":{"completion":{}},"lookup":\#(Self.found)}"#])
        try #require(r.out.count == 3)
        #expect(r.out[0] == record)
        let made = try JSONSerialization.jsonObject(with: Data(r.out[1].utf8)) as? [String: Any]
        #expect(made?["error"] != nil)
        #expect(r.out[2].contains(Self.inserted))
        #expect(r.failed)
        #expect(r.diagnostics.contains { $0.hasPrefix("lt-enrich: error (at ") && $0.contains(":2): not valid JSON") })
        #expect(r.stats.errors == 2)
    }
}
