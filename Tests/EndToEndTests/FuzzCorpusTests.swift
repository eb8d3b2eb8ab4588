import Foundation
import Testing

/// The fuzz targets' checks, replayed over the committed seed corpus on every test run (the
/// bounded fuzzing itself runs in scripts/fuzz.sh).
@Suite struct FuzzCorpusTests {
    @Test func envelopeCorpusReplaysCleanly() throws {
        let corpus = Tool.packageRoot + "/fuzz/corpus/envelope"
        let count = try FileManager.default.contentsOfDirectory(atPath: corpus).count
        let out = try Tool.run("lt-fuzz-envelope", [corpus])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("replayed \(count) inputs"))
    }
}
