import Foundation
import Testing

@testable import Shared

/// Parsing on several threads gives what one thread gives: the rows, the counts and the summary's
/// first locations, with line numbers counted per file.
@Suite struct RollupPipelineTests {
    typealias F = RollupFixture

    /// A log of `count` lines: a few learners in two courses, times rising, with broken lines, too
    /// long ones, blank ones, anonymous ones and exact duplicates at known places. Gives the text and
    /// the line numbers (1-based) of the broken and of the too long lines.
    static func log(_ count: Int, seed: Int) -> (text: String, broken: [Int], tooLong: [Int]) {
        var lines: [String] = []
        var broken: [Int] = []
        var tooLong: [Int] = []
        // Lines that give an event, some of which come again later (log shipping retries).
        var good: [String] = []
        for i in 0..<count {
            let n = lines.count + 1
            let seconds = i * 37 + seed
            let time = String(
                format: "2026-01-10T%02d:%02d:%02d.%06dZ", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60, i)
            let user = String(1 + (i * 7 + seed) % 5)
            let course = i % 3 == 0 ? "edX/DemoX/Demo_Course" : F.course
            switch (i + seed) % 41 {
            case 3:
                lines.append(String(F.server(user: user, course: course, time: time).dropLast(9)))
                broken.append(n)
            case 11:
                lines.append(
                    F.server(user: user, time: time, event: "{\"pad\": \"\(String(repeating: "p", count: 700))\"}"))
                tooLong.append(n)
            case 17: lines.append("")
            case 23: lines.append(F.server(user: "\"\"", course: course, time: time))
            case 29 where !good.isEmpty: lines.append(good[good.count - 1 - i % min(good.count, 30)])
            default:
                lines.append(
                    i % 2 == 0
                        ? F.server(user: user, course: course, time: time)
                        : F.tutorBrowser(user: "\"\(user)\"", course: course, time: time))
                good.append(lines[lines.count - 1])
            }
        }
        return (lines.joined(separator: "\n") + "\n", broken, tooLong)
    }

    struct Outcome: Equatable {
        var rows: [RollupRow]
        var summary: [String]
        var lines: Int
        var events: Int
    }

    static func run(_ paths: [String], threads: Int, chunkSize: Int) throws -> Outcome {
        let rollup = LearningTimeRollup(rule: RollupRule())
        for path in paths {
            try rollup.read(TrackingLogReader(path: path, maxLineLength: 600, chunkSize: chunkSize), threads: threads)
        }
        let result = rollup.finish(enterprises: EnterpriseEnrollments(), keepUnattributed: true)
        return Outcome(rows: result.rows, summary: rollup.tally.lines, lines: rollup.lines, events: result.events)
    }

    @Test func threadsGiveWhatOneThreadGives() throws {
        let folder = try ScratchFolder("lt-rollup-threads")
        let a = Self.log(3000, seed: 0)
        let b = Self.log(1500, seed: 5)
        try a.text.write(toFile: folder.file("a.log"), atomically: true, encoding: .utf8)
        try b.text.write(toFile: folder.file("b.log"), atomically: true, encoding: .utf8)
        let paths = [folder.file("a.log"), folder.file("b.log")]

        let one = try Self.run(paths, threads: 1, chunkSize: 1 << 18)
        #expect(one.lines == 4500)
        #expect(!one.rows.isEmpty)
        // The first three broken and too long lines, numbered in their file.
        let firstBroken = a.broken.prefix(3).map { "\(paths[0]):\($0)" }.joined(separator: ", ")
        #expect(one.summary.contains("\(a.broken.count + b.broken.count) not a JSON object (first at \(firstBroken))"))
        let firstLong = a.tooLong.prefix(3).map { "\(paths[0]):\($0)" }.joined(separator: ", ")
        #expect(
            one.summary.contains(
                "\(a.tooLong.count + b.tooLong.count) longer than the line limit (first at \(firstLong))"))
        #expect(one.summary.contains { $0.hasSuffix("exact duplicate") })

        // The same, line by line through add(_:at:), as the tests of the rule run it.
        let byLine = LearningTimeRollup(rule: RollupRule())
        for (path, text) in zip(paths, [a.text, b.text]) {
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
                var line = String(line)
                let location = SourceLocation(source: path, line: i + 1)
                if line.utf8.count > 600 {
                    byLine.skip(.tooLong, at: location)
                } else {
                    line.withUTF8 { byLine.add($0, at: location) }
                }
            }
        }
        let byLineResult = byLine.finish(enterprises: EnterpriseEnrollments(), keepUnattributed: true)
        #expect(
            Outcome(
                rows: byLineResult.rows, summary: byLine.tally.lines, lines: byLine.lines, events: byLineResult.events)
                == one)

        // Chunks small enough that every thread gets many, the too long lines reading through several.
        for threads in [2, 3, 4] {
            for chunkSize in [97, 1000, 1 << 18] {
                #expect(
                    try Self.run(paths, threads: threads, chunkSize: chunkSize) == one,
                    "\(threads) threads, \(chunkSize)")
            }
        }
    }
}
