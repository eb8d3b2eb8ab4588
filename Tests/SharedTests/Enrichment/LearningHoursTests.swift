import Foundation
import Testing

@testable import Shared

/// `total_hours` against CPython itself: the vectors are computed at test time by running python3
/// on the same inputs, so the comparison is with the reference implementation, not with copied results.
@Suite struct LearningHoursTests {
    /// What `json.dumps(round(n / 3600, 2))` prints for each input, one per line.
    static func python(_ totals: [Int64]) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            """
            import json, sys
            sys.stdout.write("".join(json.dumps(round(int(l) / 3600, 2)) + "\\n" for l in sys.stdin))
            """,
        ]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        let text = totals.map(String.init).joined(separator: "\n") + "\n"
        // Feed stdin on another thread so that neither pipe can fill up and block.
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8)); try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func compare(_ totals: [Int64]) throws {
        let expected = try python(totals)
        try #require(expected.count == totals.count)
        var mismatches = 0
        for (n, want) in zip(totals, expected) where LearningHours.text(totalSeconds: n) != want {
            mismatches += 1
            if mismatches <= 10 {
                Issue.record(
                    "total_seconds \(n): lt gives \(LearningHours.text(totalSeconds: n)), Python gives \(want)")
            }
        }
        #expect(mismatches == 0)
    }

    @Test func everyTotalFromZeroToOneHundredThousandMatchesPython() throws {
        try Self.compare(Array(0...100_000))
    }

    @Test func halfwayCasesMatchPython() throws {
        // 18 s, 54 s, 90 s are 0.005, 0.015, 0.025 h (not exact in binary); odd multiples of 450 s
        // are exact binary halves of a hundredth (0.125 h, 0.375 h, …), where half-to-even decides.
        var totals: [Int64] = [18, 54, 90, 126, 162, 198, 450, 1350, 2250, 3150, 4050, 18540]
        for k in stride(from: Int64(1), to: 200_000, by: 2) { totals.append(450 * k) }
        for k in stride(from: Int64(1), to: 200_000, by: 2) { totals.append(18 * k) }
        var g = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let k = Int64(g.next() % (UInt64(1) << 40)) | 1
            totals.append(450 * k)
            totals.append(18 * k)
        }
        try Self.compare(totals)
    }

    @Test func randomTotalsUpToTwoToTheFiftyThirdMatchPython() throws {
        var g = SplitMix64(seed: 2026)
        var totals: [Int64] = [1 << 53, (1 << 53) - 1, (1 << 53) - 18, 36_000_000_000_000_000 / 1000]
        for _ in 0..<50_000 { totals.append(Int64(g.next() % ((UInt64(1) << 53) + 1))) }
        // Every magnitude, so that small and mid-sized totals are well represented too.
        for bits in 1...53 { for _ in 0..<500 { totals.append(Int64(g.next() % (UInt64(1) << UInt64(bits)))) } }
        try Self.compare(totals)
    }

    @Test func totalsAboveTwoToTheFiftyThirdMatchPython() throws {
        // Beyond any real warehouse, but Int64 allows them: exact division and the long form of repr.
        var g = SplitMix64(seed: 53)
        var totals: [Int64] = [
            (1 << 53) + 1, 36_000_000_000_000_000, 36_000_000_000_000_018, 100_000_000_000_000_007, 1 << 62, Int64.max,
        ]
        for _ in 0..<20_000 { totals.append(Int64(g.next() >> 1) | (1 << 53)) }
        for bits in 54...63 {
            for _ in 0..<500 { totals.append(Int64(g.next() % (UInt64(1) << UInt64(bits))) | (1 << 53)) }
        }
        try Self.compare(totals)
    }

    @Test func textAlwaysHasADecimalPoint() {
        #expect(LearningHours.text(totalSeconds: 0) == "0.0")
        #expect(LearningHours.text(totalSeconds: 18000) == "5.0")
        #expect(LearningHours.text(totalSeconds: 18540) == "5.15")
        #expect(LearningHours.text(totalSeconds: 36) == "0.01")
        #expect(LearningHours.text(totalSeconds: 3600 * 10 + 360) == "10.1")
    }
}
