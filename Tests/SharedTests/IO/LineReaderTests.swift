import Foundation
import Testing

@testable import LTCore
@testable import Shared

@Suite struct LineReaderTests {
    /// Reads `input` through a pipe with a small chunk size, so lines straddle buffer boundaries.
    func lines(_ input: [UInt8], chunk: Int = 7, maxLine: Int = 1 << 20) throws -> [(String, Int, Int?)] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = Thread {
            input.withUnsafeBytes { b in
                var off = 0; while off < b.count { off += write(writeEnd, b.baseAddress! + off, b.count - off) }
            }
            close(writeEnd)
        }
        writer.start()
        let reader = LineReader(fd: fds[0], sourceName: "<test>", chunkSize: chunk, maxLineLength: maxLine)
        var out: [(String, Int, Int?)] = []
        while let l = try reader.next() {
            out.append((String(decoding: l.bytes, as: UTF8.self), l.location.line, l.truncatedFrom))
        }
        close(fds[0])
        return out
    }

    @Test func splitsLinesAcrossChunkBoundaries() throws {
        let text =
            (1...200).map { "line number \($0) " + String(repeating: "x", count: $0 % 13) }.joined(separator: "\n")
            + "\n"
        let got = try lines(Array(text.utf8))
        #expect(got.map(\.0) == text.split(separator: "\n").map(String.init))
        #expect(got.map(\.1) == Array(1...200))
    }

    @Test func handlesCRLFMissingFinalNewlineEmptyLinesAndBOM() throws {
        let got = try lines([0xEF, 0xBB, 0xBF] + Array("a\r\n\nb".utf8))
        #expect(got.map(\.0) == ["a", "", "b"])
    }

    @Test func emptyInputHasNoLines() throws {
        #expect(try lines([]).isEmpty)
    }

    @Test func overlongLineIsCutAndCountedAndTheNextLineSurvives() throws {
        let long = String(repeating: "y", count: 50_000)
        let got = try lines(Array("\(long)\nnext\n".utf8), chunk: 4096, maxLine: 10_000)
        #expect(got.count == 2)
        #expect(got[0].2 == 50_000)
        #expect(got[0].0.count == 1024)
        #expect(got[1].0 == "next")
        #expect(got[1].1 == 2)
    }
}
