import CZlib
import Foundation
import Testing

@testable import Shared

/// The reader hands out the same lines, whatever the chunk size and wherever the chunks end.
@Suite struct TrackingLogReaderTests {
    /// The lines `bytes` holds, split the plain way: a final line without a newline is a line, one
    /// trailing `\r` is dropped, and a line over `max` bytes is nil (too long).
    static func expected(_ bytes: [UInt8], max: Int) -> [String?] {
        guard !bytes.isEmpty else { return [] }
        var parts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { parts.removeLast() }
        return parts.map { part in
            var line = Array(part)
            if line.last == 0x0D { line.removeLast() }
            return line.count > max ? nil : String(decoding: line, as: UTF8.self)
        }
    }

    /// What the reader hands out for the file at `path`.
    static func read(_ path: String, max: Int, chunk: Int) throws -> [String?] {
        let reader = try TrackingLogReader(path: path, maxLineLength: max, chunkSize: chunk)
        var out: [String?] = []
        try reader.forEachLine { line, number in
            #expect(number == out.count + 1)
            switch line {
            case .line(let b): out.append(String(decoding: b, as: UTF8.self))
            case .tooLong: out.append(nil)
            }
        }
        return out
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func linesSpanningChunksComeOutWhole() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let path = folder.file("t.log")
        let max = 50
        let lines = [
            "a", "", "bb\r", String(repeating: "c", count: 40), String(repeating: "d", count: 50) + "\r",
            String(repeating: "e", count: 51), String(repeating: "f", count: 52) + "\r",
            String(repeating: "g", count: 300), "h", "tail without a newline",
        ]
        let bytes = Array(lines.joined(separator: "\n").utf8)
        try Self.write(bytes, to: path)
        let want = Self.expected(bytes, max: max)
        #expect(want.count == 10)
        #expect(want[4] == String(repeating: "d", count: 50))
        #expect(want[5] == nil && want[6] == nil && want[7] == nil)
        for chunk in [1, 2, 3, 7, 16, 51, 52, 53, 64, 200, 1 << 18] {
            #expect(try Self.read(path, max: max, chunk: chunk) == want, "chunk size \(chunk)")
        }
    }

    @Test func anyTextSplitsAsThePlainSplitDoes() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let path = folder.file("t.log")
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                let length = [0, 1, 30, 48, 49, 50, 51, 52, 120].randomElement(using: &rng)!
                bytes += (0..<length).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) }
                if Bool.random(using: &rng) { bytes.append(0x0D) }
                bytes.append(0x0A)
            }
            if Bool.random(using: &rng), !bytes.isEmpty { bytes.removeLast() }
            try Self.write(bytes, to: path)
            let chunk = Int.random(in: 1...130, using: &rng)
            let got = try Self.read(path, max: 50, chunk: chunk)
            #expect(got == Self.expected(bytes, max: 50), "round \(round), chunk size \(chunk): \(bytes)")
        }
    }

    @Test func anEmptyFileHasNoLinesAndANewlineOneBlankLine() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let path = folder.file("t.log")
        try Self.write([], to: path)
        #expect(try Self.read(path, max: 50, chunk: 8) == [])
        try Self.write([0x0A], to: path)
        #expect(try Self.read(path, max: 50, chunk: 8) == [""])
        try Self.write([0x0D, 0x0A, 0x0A], to: path)
        #expect(try Self.read(path, max: 50, chunk: 1) == ["", ""])
    }

    @Test func gzipMembersSplitAsThePlainText() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let path = folder.file("t.log.gz")
        let text = (1...400).map { "line \($0) " + String(repeating: "x", count: $0 % 90) }.joined(separator: "\n")
        // Two members, the first ending inside a line, as `cat a.gz b.gz` gives.
        let bytes = Array(text.utf8)
        let half = bytes.count / 2 + 7
        for (mode, part) in [("wb", bytes[..<half]), ("ab", bytes[half...])] {
            let gz = try #require(gzopen(path, mode))
            _ = Array(part).withUnsafeBufferPointer { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
            gzclose(gz)
        }
        for chunk in [5, 100, 4096, 1 << 18] {
            #expect(try Self.read(path, max: 60, chunk: chunk) == Self.expected(bytes, max: 60), "chunk size \(chunk)")
        }
    }

    @Test func aReadErrorIsThrownOnEveryPath() throws {
        // A folder opens, and its first read fails.
        let folder = try ScratchFolder("lt-rollup-reader")
        for threads in [1, 2] {
            let rollup = LearningTimeRollup(rule: RollupRule())
            let reader = try TrackingLogReader(path: folder.path, chunkSize: 512)
            #expect {
                try rollup.read(reader, threads: threads)
            } throws: { error in
                (error as? IOError)?.message.hasPrefix("cannot read \(folder.path) at line 1: ") == true
            }
            #expect(rollup.lines == 0)
        }
    }

    /// `text` as one gzip member at `path`, through zlib as gzip(1) writes it.
    static func gzip(_ text: String, to path: String, mode: String = "wb") throws {
        let gz = try #require(gzopen(path, mode))
        _ = Array(text.utf8).withUnsafeBufferPointer { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        #expect(gzclose(gz) == Z_OK)
    }

    /// The error `LearningTimeRollup.read` throws for the file at `path` on `threads` threads.
    static func readError(_ path: String, threads: Int) throws -> IOError? {
        let rollup = LearningTimeRollup(rule: RollupRule())
        do {
            try rollup.read(TrackingLogReader(path: path, chunkSize: 512), threads: threads)
            return nil
        } catch {
            return try #require(error as? IOError)
        }
    }

    /// Text that does not compress to nothing, so that a cut lands inside the deflate data.
    static let logText =
        (1...3000).map { #"{"n": \#($0), "x": "\#(($0 * 7919) % 100_003)"}"# }.joined(separator: "\n") + "\n"

    @Test func aCutGzipFileIsAnErrorAtEveryCutOnEveryPath() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let whole = folder.file("whole.gz")
        try Self.gzip(Self.logText, to: whole)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        #expect(try Self.read(whole, max: 100, chunk: 512) == Self.expected(Array(Self.logText.utf8), max: 100))
        // Inside the header, inside the deflate data, just before the check sum and length (the
        // last 8 bytes), and one byte short.
        for keep in [5, 20, bytes.count / 2, bytes.count - 8, bytes.count - 1] {
            let cut = folder.file("cut-\(keep).gz")
            try Self.write(Array(bytes[..<keep]), to: cut)
            for threads in [1, 2] {
                let error = try #require(
                    try Self.readError(cut, threads: threads), "cut at \(keep), \(threads) threads")
                #expect(error.message == "\(cut): the gzip data ends early (cut short at byte \(keep)?)")
                #expect(error.hint == "nothing was written; re-copy the file or leave it out")
                #expect(error.kind == .io)
            }
        }
        // A second member cut short, after a whole first one (`cat a.gz b.gz` with b cut).
        let second = folder.file("second.gz")
        try Self.write(bytes + bytes[..<(bytes.count / 2)], to: second)
        for threads in [1, 2] {
            let error = try #require(try Self.readError(second, threads: threads))
            #expect(error.message == "\(second): the gzip data ends early (cut short at byte \(bytes.count * 3 / 2)?)")
        }
    }

    @Test func corruptGzipDataIsAnError() throws {
        let folder = try ScratchFolder("lt-rollup-reader")
        let whole = folder.file("whole.gz")
        try Self.gzip(Self.logText, to: whole)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        // A wrong check sum (the trailer's first 4 bytes): every byte decompresses, and only the
        // check at the end tells.
        var badSum = bytes
        badSum[bytes.count - 8] ^= 0xFF
        let sum = folder.file("sum.gz")
        try Self.write(badSum, to: sum)
        // A byte flipped inside the deflate data.
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0xFF
        let middle = folder.file("middle.gz")
        try Self.write(flipped, to: middle)
        for threads in [1, 2] {
            let error = try #require(try Self.readError(sum, threads: threads))
            // zlib stops at the check sum it read, a few bytes before the end (the length follows it).
            #expect(
                error.message.hasPrefix("\(sum): the gzip data is corrupt (incorrect data check at byte "),
                "\(error.message)")
            let other = try #require(try Self.readError(middle, threads: threads))
            #expect(other.message.hasPrefix("\(middle): the gzip data "), "\(other.message)")
            #expect(other.hint == "nothing was written; re-copy the file or leave it out")
        }
    }
}
