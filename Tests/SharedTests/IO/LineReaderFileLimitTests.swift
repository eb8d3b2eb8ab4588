import Foundation
import Testing

@testable import LTCore
@testable import Shared

/// The line limit on regular files, where one read can bring a long line and its newline at once.
@Suite struct LineReaderFileLimitTests {
    func file(_ bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "lt-lines-" + UUID().uuidString
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test(arguments: [1 << 12, 1 << 16])
    func overlongLineFromARegularFileIsCut(chunk: Int) throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 3000)
        let path = file(long + [0x0A] + Array("short\n".utf8) + long + [0x0A] + Array("end".utf8) + long)
        defer { unlink(path) }
        let limited = LineReader(
            fd: open(path, O_RDONLY), sourceName: path, ownsFD: true, chunkSize: chunk, maxLineLength: 2000)
        var got: [(Int, Int?)] = []
        while let l = try limited.next() { got.append((l.bytes.count, l.truncatedFrom)) }
        #expect(got.map(\.1) == [3000, nil, 3000, 3003])
        #expect(got.map(\.0) == [1024, 5, 1024, 1024])
        #expect(limited.bufferCapacity <= 2000 + chunk + 1)
    }

    @Test func aLineAtTheLimitIsWhole() throws {
        let path = file([UInt8](repeating: UInt8(ascii: "y"), count: 2000) + [0x0A])
        defer { unlink(path) }
        let reader = LineReader(
            fd: open(path, O_RDONLY), sourceName: path, ownsFD: true, chunkSize: 1 << 16, maxLineLength: 2000)
        let line = try #require(try reader.next())
        #expect(line.bytes.count == 2000)
        #expect(line.truncatedFrom == nil)
    }

    @Test func memoryStaysBoundedOnAHugeLine() throws {
        let path = file([UInt8](repeating: UInt8(ascii: "z"), count: 5_000_000) + Array("\nnext\n".utf8))
        defer { unlink(path) }
        let reader = LineReader(
            fd: open(path, O_RDONLY), sourceName: path, ownsFD: true, chunkSize: 1 << 16, maxLineLength: 100_000)
        let first = try #require(try reader.next())
        #expect(first.truncatedFrom == 5_000_000)
        #expect(String(decoding: try #require(try reader.next()).bytes, as: UTF8.self) == "next")
        #expect(reader.bufferCapacity <= 100_000 + (1 << 16) + 1)
    }
}
