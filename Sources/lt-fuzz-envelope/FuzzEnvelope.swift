import FoundationEssentials
import FuzzDriver
import LTCore

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer target for the line reader, the JSON scanner and the envelope parser: any bytes,
/// split into lines as lt-query reads them, must either parse or fail with a typed error, and an
/// envelope written back after parsing must be valid JSON again.
///
/// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh); without FUZZING it is a replay
/// driver that runs the same check over the files named on its command line.
enum FuzzEnvelope {
    static func check(_ input: UnsafeBufferPointer<UInt8>) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        // Small inputs fit the pipe buffer, so writing before reading cannot block.
        let chunk = min(input.count, 60_000)
        if chunk > 0 { _ = write(fds[1], input.baseAddress!, chunk) }
        close(fds[1])
        let reader = LineReader(fd: fds[0], sourceName: "<fuzz>", chunkSize: 16, maxLineLength: 4096)
        defer { close(fds[0]) }
        var lines = 0
        while let line = try? reader.next() {
            lines += 1
            precondition(line.location.line == lines, "line numbers must count every line")
            precondition(line.bytes.count <= 4096 || line.truncatedFrom != nil, "an overlong line must be cut")
            precondition(
                line.truncatedFrom != nil
                    || memchr(line.bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0x0A, line.bytes.count) == nil
                    || line.bytes.isEmpty,
                "a line must not contain a newline")
            guard line.truncatedFrom == nil else { continue }
            checkEscaper(String(decoding: line.bytes, as: UTF8.self))
            let accepted = (try? JSONScanner(line.bytes).document()) != nil
            do {
                let envelope = try Envelope(line.bytes)
                precondition(accepted, "an envelope parsed from invalid JSON")
                _ = envelope.isCourseCompletion
                _ = envelope.duplicateMember()
                _ = envelope.enterpriseID
                _ = try? envelope.lookupKey()
                // lt-query's writer: the prefix, then a lookup record and the closing brace.
                var out = JSONBuffer()
                envelope.writeLookupPrefix(to: &out)
                LookupResult(status: .skipped, reason: "not_completion").write(to: &out)
                out.endObject()
                out.bytes.withUnsafeBufferPointer { b in
                    precondition((try? JSONScanner(b).document()) != nil, "an envelope written back is not valid JSON")
                }
                precondition(!out.bytes.contains(0x0A), "an envelope written back must stay one line")
            } catch is InputError {
            } catch {
                preconditionFailure("untyped error \(error)")
            }
        }
    }
}

extension FuzzEnvelope {
    /// Any text written as a JSON string (results, the attempt log, JSON logs) holds nothing a
    /// terminal acts on (C0 and C1 controls, DEL, the line and paragraph separators) and reads back
    /// as the same text.
    static func checkEscaper(_ text: String) {
        var json = JSONBuffer()
        json.string(text)
        let b = json.bytes
        for i in b.indices {
            precondition(b[i] >= 0x20 && b[i] != 0x7F, "a control byte written raw")
            if b[i] == 0xC2, i + 1 < b.count { precondition(!(0x80...0x9F).contains(b[i + 1]), "a C1 control raw") }
            if b[i] == 0xE2, i + 2 < b.count, b[i + 1] == 0x80 {
                precondition(b[i + 2] != 0xA8 && b[i + 2] != 0xA9, "a line separator raw")
            }
        }
        b.withUnsafeBufferPointer { buffer in
            let s = JSONScanner(buffer)
            guard let doc = try? s.document() else { preconditionFailure("an escaped string is not valid JSON") }
            precondition(s.decodeString(doc) == text, "an escaped string does not read back the same")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzEnvelope.check(UnsafeBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("lt_fuzz_envelope_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzDriver.run(argc, argv, testOneInput)
}
#else
@main
struct ReplayCorpus {
    static func main() throws { try FuzzDriver.replay(FuzzEnvelope.check) }
}
#endif
