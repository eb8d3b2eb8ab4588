import ArgumentParser
import FoundationEssentials
import Shared

#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// The entry point of each tool: parses the command line (`--stats=json` included), runs the
    /// command, and exits with its status. A usage error is said in the tool's own form,
    /// `lt-x: error: …` (a JSON object under `--log-format json`), and exits 64.
    public static func runAsTool() {
        let arguments = InputOptions.normalized(Array(CommandLine.arguments.dropFirst()))
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch let status as ExitCode {
            exit(withError: status)
        } catch  where exitCode(for: error).isSuccess {
            // --help and --version come as the parser's own (opaque) errors; it prints them on stdout.
            exit(withError: error)
        } catch {
            // Whatever else stops parsing (an unknown option, a value its type refuses, a failed
            // validate()) is a mistake in the command line.
            exitWithUsageError(error, arguments: arguments)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// Writes a usage error through ``Diagnostics``, with how to fix it, and exits 64.
    static func exitWithUsageError(_ error: Error, arguments: [String]) -> Never {
        let tool = configuration.commandName ?? "lt"
        let diagnostics = Diagnostics(tool: tool, threshold: .error)
        diagnostics.format = LogFormat.requested(in: arguments)
        var text = message(for: error).trimmed(" \t\r\n")
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        if let unknown = UnknownOption.first(in: arguments, of: self) { text = "unknown option '\(unknown)'" }
        // The parser quotes the refused value: a password in a URL must not be printed with it.
        text = text.replacing(/:\/\/[^\/@\s']+@/, with: "://…@")
        let hint = UsageHint.forValueMentioned(in: text) ?? "see '\(tool) --help'"
        diagnostics.error("\(text); \(hint)")
        if diagnostics.format == .human { diagnostics.raw("Usage: \(usageString())") }
        Glibc.exit(ExitStatus.usage)
    }
}

extension LogFormat {
    /// The format asked for by `--log-format` in raw arguments, for messages written before parsing succeeded.
    static func requested(in arguments: [String]) -> LogFormat {
        var format = LogFormat.human
        for (i, arg) in arguments.enumerated() {
            if arg == "--" { break }
            let value =
                arg == "--log-format"
                ? arguments[safe: i + 1]
                : arg.hasPrefix("--log-format=")
                    ? String(arg.dropFirst("--log-format=".count)) : nil
            if let value, let f = LogFormat(rawValue: value) { format = f }
        }
        return format
    }
}

/// How to fix a value the parser refused, by the kind of value its option takes (its value name).
enum UsageHint {
    static func forValueMentioned(in message: String) -> String? {
        if message.contains("<duration>") { return DurationArgument.hint }
        if message.contains("<url>") {
            return "use an http or https URL with a host and no user name or password (auth belongs in "
                + "--bearer-env or the integrations file), such as https://hooks.example.com/lt"
        }
        if message.contains("<network>") { return "use an IP address or a network such as 10.20.0.0/16 or fd00::/8" }
        if message.contains("<name:value>") {
            return "write NAME:VALUE without control characters; Host, Content-Type, Content-Length, "
                + "Transfer-Encoding, Connection and webhook-* are set by lt-send itself"
        }
        return nil
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
