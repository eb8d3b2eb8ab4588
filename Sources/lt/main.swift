import Tools

#if canImport(Glibc)
import Glibc
#endif

// The release binary: one file installed as lt-query, lt-enrich, lt-send and lt-rollup, each run by its name.
guard let tool = Tool.named(CommandLine.arguments.first ?? "") else {
    let names = Tool.allCases.map(\.rawValue).joined(separator: ", ")
    let message =
        "lt: error: this program runs as \(names); install it under those names (links to it), "
        + "as scripts/install.sh and the Debian package do\n"
    _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(64)
}
tool.main()
