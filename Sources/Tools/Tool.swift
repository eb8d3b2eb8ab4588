import ArgumentParser
import LTCommandLine

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
}
