import ArgumentParser
import FoundationEssentials

/// The first option on a command line that the tool does not have, found from the parser's own
/// description of the tool. The parser runs `validate()` before it complains about leftovers, so
/// `lt-send --bogus` would otherwise be told about `--url`, the rule its validation checks first.
enum UnknownOption {
    private struct Dump: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var names: [Name]?
        }
        var command: Command
    }

    /// The spellings of every option (`--name`, `-n`) and whether each takes a value.
    static func known(_ command: ParsableCommand.Type) -> [String: Bool] {
        guard let data = command._dumpHelp().data(using: .utf8),
            let dump = try? JSONDecoder().decode(Dump.self, from: data)
        else { return [:] }
        var known: [String: Bool] = [:]
        for argument in dump.command.arguments ?? [] where argument.kind != "positional" {
            for n in argument.names ?? [] {
                known[(n.kind == "long" ? "--" : "-") + n.name] = argument.kind == "option"
            }
        }
        return known
    }

    /// The first argument that looks like an option and is none of the tool's, before any `--`.
    static func first(in arguments: [String], of command: ParsableCommand.Type) -> String? {
        let known = known(command)
        guard !known.isEmpty else { return nil }
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if arg == "--" { return nil }
            guard arg.hasPrefix("-"), arg != "-" else { continue }
            let name = arg.split(separator: "=", maxSplits: 1).first.map(String.init) ?? arg
            // Short flags given together (-vq).
            if !arg.hasPrefix("--"), arg.count > 2, arg.dropFirst().allSatisfy({ known["-\($0)"] == false }) {
                continue
            }
            guard let takesValue = known[name] else { return name }
            if takesValue && !arg.contains("=") { i += 1 }
        }
        return nil
    }
}
