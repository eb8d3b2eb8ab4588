import FoundationEssentials
import FuzzDriver
import LTCore

/// libFuzzer target for lt-enrich's splice (``LineEnrichment``, as ``Enricher`` runs it): any payload object, with a found lookup, comes out
/// as valid JSON that differs from the input only by the `learning_time` member (or not at all
/// when the payload is not a completion).
///
/// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh); without FUZZING it replays files.
enum FuzzSplice {
    static func check(_ bytes: UnsafeBufferPointer<UInt8>) {
        // A line never holds a newline; in valid JSON one can only be whitespace, so a space keeps the meaning.
        let input = bytes.map { $0 == 0x0A ? 0x20 : $0 }
        let object: Range<Int>? = input.withUnsafeBufferPointer { b in
            guard let doc = try? JSONScanner(b).document(), JSONScanner(b).kind(at: doc.lowerBound) == .object else {
                return nil
            }
            return doc
        }
        guard let object else { return }
        // Whitespace around the payload belongs to the envelope line, not to the payload value.
        let payload = Array(input[object])
        let total = Int64(payload.count) * 37 + 1
        var line = Array(#"{"payload":"#.utf8) + payload
        line += Array(
            #","lookup":{"status":"found","total_seconds":\#(total),"last_updated":"2026-01-10T00:00:00Z"}}"#.utf8)
        let out = enrich(line)
        let value = Array(
            #"{"total_seconds":\#(total),"total_hours":\#(LearningHours.text(totalSeconds: total)),"last_updated":"2026-01-10T00:00:00Z"}"#
                .utf8)
        out.withUnsafeBufferPointer { o in
            let s = JSONScanner(o)
            guard let range = try? s.document(), let members = try? s.members(ofObjectAt: range.lowerBound) else {
                preconditionFailure("output is not a JSON object: \(String(decoding: o, as: UTF8.self))")
            }
            guard let p = members.first(where: { s.key(of: $0, equals: "payload") }) else {
                precondition(
                    members.contains { s.key(of: $0, equals: "error") }, "neither payload nor error in the output")
                return
            }
            let sent = Array(s.bytes(p.value))
            if sent == payload { return }
            precondition(
                sent == expected(payload: payload, value: value, sent: sent),
                "splice changed more than learning_time: \(String(decoding: sent, as: UTF8.self))")
        }
    }

    /// What the payload must look like after the splice: an existing top-level `learning_time`
    /// (the last one, under any escaping of its key) gets its value replaced in place; otherwise
    /// removing the new member and its comma from `sent` must give the payload back.
    static func expected(payload: [UInt8], value: [UInt8], sent: [UInt8]) -> [UInt8] {
        payload.withUnsafeBufferPointer { b in
            let s = JSONScanner(b)
            let members = (try? s.members(ofObjectAt: 0)) ?? []
            if let m = members.last(where: { s.key(of: $0, equalsString: "learning_time") }) {
                return Array(payload[..<m.valueStart]) + value + Array(payload[m.valueEnd...])
            }
            let inserted = Array(#""learning_time":"#.utf8) + value
            guard let at = find(inserted, in: sent) else { return [] }
            var restored = sent
            restored.removeSubrange(at..<(at + inserted.count))
            if !members.isEmpty { restored.remove(at: at - 1) }
            return restored == payload ? sent : restored
        }
    }

    /// Runs the line through lt-enrich's byte work as ``Enricher`` does with the flag on (the
    /// decision cut to what the splice depends on) and returns its output line.
    static func enrich(_ line: [UInt8]) -> [UInt8] {
        var enrichment = LineEnrichment(options: EnrichOptions())
        var out = JSONBuffer()
        line.withUnsafeBufferPointer { b in
            let input = InputLine(bytes: b, location: SourceLocation(source: "<fuzz>", line: 1))
            do {
                let envelope = try Envelope(input.bytes)
                let lookup = try envelope.lookup.map { try LookupResult.parse(envelope.json, objectAt: $0.valueStart) }
                if envelope.duplicateMember() == nil, envelope.isCourseCompletion, let lookup, lookup.status == .found,
                    let total = lookup.totalSeconds, total > 0
                {
                    _ = try enrichment.writeEnriched(
                        envelope, totalSeconds: total, lastUpdated: lookup.lastUpdated, enrichment: enrichedMarker,
                        into: &out)
                } else {
                    enrichment.writeOmitted(envelope, enrichment: omittedMarker, into: &out)
                }
            } catch let e as LTError {
                out.removeAll()
                ErrorRecord.make(tool: "fuzz", location: input.location, error: e, line: input, into: &out)
            } catch {
                preconditionFailure("untyped error \(error)")
            }
        }
        precondition(!out.bytes.contains(0x0A), "exactly one output line")
        return out.bytes
    }

    static let enrichedMarker = Array(#"{"learning_time":true}"#.utf8)
    static let omittedMarker = Array(#"{"learning_time":false}"#.utf8)

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard !needle.isEmpty, needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count)
        where hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSplice.check(UnsafeBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("lt_fuzz_splice_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzDriver.run(argc, argv, testOneInput)
}
#else
@main
struct ReplayCorpus {
    static func main() throws { try FuzzDriver.replay(FuzzSplice.check) }
}
#endif
