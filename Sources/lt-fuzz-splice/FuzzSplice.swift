import Foundation
import Shared

/// libFuzzer target for lt-enrich's splice: any payload object, with a found lookup, comes out
/// as valid JSON that differs from the input only by the `learning_time` member (or not at all
/// when the payload is not a completion).
///
/// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh); without FUZZING it replays files.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
#endif
func fuzzSplice(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSplice.check(UnsafeBufferPointer(start: data, count: size))
    return 0
}

enum FuzzSplice {
    static func check(_ payload: UnsafeBufferPointer<UInt8>) {
        guard payload.count < 60_000, let doc = try? JSONScanner(payload).document(),
              JSONScanner(payload).kind(at: doc.lowerBound) == .object else { return }
        let total = Int64(payload.count) * 37 + 1
        var line = Array(#"{"payload":"#.utf8) + Array(payload)
        line += Array(#","lookup":{"status":"found","total_seconds":\#(total),"last_updated":"2026-01-10T00:00:00Z"}}"#.utf8)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        defer { close(fds[0]) }
        let output = OutputWriter(fd: fds[1], name: "<fuzz>")
        let flag = EnrichmentFlag(rules: RolloutRules(enabled: true), origin: "fuzz")
        let enricher = Enricher(flag: flag, options: EnrichOptions(), diagnostics: Diagnostics(tool: "fuzz", threshold: .error, fd: -1), output: output)
        line.withUnsafeBufferPointer { b in
            try? enricher.process(InputLine(bytes: b, location: SourceLocation(source: "<fuzz>", line: 1)))
        }
        try? output.flush()
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        precondition(out.last == 0x0A, "one output line")
        out.removeLast()
        out.withUnsafeBufferPointer { o in
            let s = JSONScanner(o)
            guard let range = try? s.document(), let members = try? s.members(ofObjectAt: range.lowerBound) else {
                preconditionFailure("output is not a JSON object: \(String(decoding: o, as: UTF8.self))")
            }
            guard let p = members.first(where: { s.key(of: $0, equals: "payload") }) else {
                precondition(members.contains { s.key(of: $0, equals: "error") }, "neither payload nor error in the output")
                return
            }
            let sent = Array(s.bytes(p.value))
            let inserted = Array(#""learning_time":{"total_seconds":\#(total),"total_hours":\#(LearningHours.text(totalSeconds: total)),"last_updated":"2026-01-10T00:00:00Z"}"#.utf8)
            if sent == Array(payload) { return }
            // Otherwise exactly one member was added: removing it (and its comma) gives the input back.
            guard let at = find(inserted, in: sent) else {
                // A payload that already had the member gets it replaced: nothing more to compare.
                precondition(find(Array(#""learning_time""#.utf8), in: Array(payload)) != nil || payload.contains(0x5C),
                             "payload changed without the new member")
                return
            }
            var restored = sent
            restored.removeSubrange(at..<(at + inserted.count))
            if at > 0 && restored[at - 1] == UInt8(ascii: ",") { restored.remove(at: at - 1) }
            else if at < restored.count && restored[at] == UInt8(ascii: ",") { restored.remove(at: at) }
            precondition(restored == Array(payload) || find(Array(#""learning_time""#.utf8), in: Array(payload)) != nil,
                         "splice changed other bytes: \(String(decoding: sent, as: UTF8.self))")
        }
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// SwiftPM links executables with `main` aliased to `<module>_main`, so that symbol hands over
/// to libFuzzer's driver.
@_cdecl("lt_fuzz_splice_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { fuzzSplice($0, $1) }
}
#else
@main
struct ReplayCorpus {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }) ?? [path]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { FuzzSplice.check($0.bindMemory(to: UInt8.self)) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
