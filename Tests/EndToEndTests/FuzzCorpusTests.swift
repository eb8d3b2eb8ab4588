import Foundation
import Testing

/// The fuzz targets' checks, replayed over the committed seed corpus on every test run (the
/// bounded fuzzing itself runs in scripts/fuzz.sh).
@Suite struct FuzzCorpusTests {
    @Test(arguments: ["envelope", "splice"])
    func corpusReplaysCleanly(_ target: String) throws {
        let corpus = Tool.packageRoot + "/fuzz/corpus/" + target
        let count = try FileManager.default.contentsOfDirectory(atPath: corpus).count
        let out = try Tool.run("lt-fuzz-" + target, [corpus])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("replayed \(count) inputs"))
    }
}
