import FoundationEssentials

/// The glue every libFuzzer target shares: under `-DFUZZING` it hands the process over to
/// libFuzzer's driver; in a plain build it replays corpus files through the same check, so the
/// tests can run the committed corpus without the sanitizer toolchain.
public enum FuzzDriver {
    /// One fuzz input; a failed `precondition` is a finding.
    public typealias Check = (UnsafeBufferPointer<UInt8>) -> Void

    #if FUZZING
    /// SwiftPM links executables with `main` aliased to `<module>_main`; each target defines that
    /// symbol and calls this with its `LLVMFuzzerTestOneInput`.
    public static func run(
        _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
    ) -> Int32 {
        var argc = argc
        var argv = argv
        return runFuzzerDriver(&argc, &argv, testOneInput)
    }
    #endif

    /// Runs `check` over every file named on the command line (a folder means its files) and
    /// prints how many inputs it replayed.
    public static func replay(_ check: Check) throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let files =
                (try? FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }) ?? [path]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { check($0.bindMemory(to: UInt8.self)) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32
#endif
