import ArgumentParser
import LTCommandLine
import Shared

#if canImport(Glibc)
import Glibc
#endif

/// lt-query, lt-enrich, lt-send and lt-rollup as one program, chosen by the name it is run under (`argv[0]`):
/// the release binary is one file installed under the four names, so the Swift runtime it carries
/// is on disk and in the page cache once instead of three times.
public enum Tool: String, CaseIterable, Sendable {
    case query = "lt-query"
    case enrich = "lt-enrich"
    case send = "lt-send"
    case rollup = "lt-rollup"

    /// The tool a program path names by its last component (`/usr/bin/lt-send` → ``send``).
    public static func named(_ path: String) -> Tool? {
        Tool(rawValue: String(path.split(separator: "/").last ?? ""))
    }

    /// The command that implements the tool.
    var command: ParsableCommand.Type {
        switch self {
        case .query: LtQuery.self
        case .enrich: LtEnrich.self
        case .send: LtSend.self
        case .rollup: LtRollup.self
        }
    }

    /// Parses the command line and runs the tool (which exits the process when it fails), the same
    /// way for every tool (``ParsableCommand/runAsTool()``).
    public func main() { command.runAsTool() }

    /// The release binary's entry point: runs the tool `argv[0]` names. Run as itself, `lt --version`
    /// prints its version and commit (`lt 0.1.0 (commit 0f5e6e7)`) like each tool's; anything else
    /// says how to install it, with status 64.
    public static func multiCallMain(_ arguments: [String] = CommandLine.arguments) -> Never {
        if let tool = named(arguments.first ?? "") {
            tool.main()
            exit(0)
        }
        if arguments.dropFirst() == ["--version"] {
            print(LTVersion.report(tool: "lt"))
            exit(0)
        }
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        let message =
            "lt: error: this program runs as \(names); install it under those names (links to it), "
            + "as scripts/install.sh and the Debian package do\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        exit(64)
    }
}
