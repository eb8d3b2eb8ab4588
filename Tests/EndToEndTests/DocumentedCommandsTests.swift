import Foundation
import Testing

/// Every command block of README.md and examples/RECIPES.md, taken from the documents themselves so
/// later edits stay tested, run as written in a scratch folder holding a copy of examples/, on a
/// SQLite warehouse and against a receiver on 127.0.0.1.
@Suite struct DocumentedCommandsTests {
    /// One indented block: its commands, and for a `$ ` transcript the output lines shown after each.
    struct Block {
        var commands: [String]
        var shown: [[String]]
        var isTranscript: Bool { !shown.isEmpty }
    }

    /// Blocks that are not run here, each with the reason; any other block is run.
    static let notRun: [(String, String)] = [
        ("scripts/demo.sh", "builds lt and runs the same pipeline as the README's first block"),
        ("scripts/test.sh", "is the test command itself"),
        ("scripts/install.sh", "installs into /usr/local"),
        ("scripts/build-deb.sh", "makes a release build; scripts/test-package.sh builds and checks the package"),
        ("examples/lms-completions", "needs an LMS database; LmsCompletionsTests runs it, pipeline too"),
    ]

    /// Indented blocks of a Markdown file: a block of commands, or a `$ ` transcript. Blocks of output
    /// alone (progress lines, JSON) are not commands.
    static func blocks(_ path: String) throws -> [Block] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var groups: [[String]] = []
        var current: [String] = []
        var previousBlank = true
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("    ") && (previousBlank || !current.isEmpty) {
                current.append(String(line.dropFirst(4)))
            } else {
                if !current.isEmpty { groups.append(current); current = [] }
                previousBlank = line.trimmingCharacters(in: .whitespaces).isEmpty
            }
        }
        if !current.isEmpty { groups.append(current) }
        var blocks: [Block] = []
        for g in groups {
            if g.contains(where: { $0.hasPrefix("$ ") }) {
                var b = Block(commands: [], shown: [])
                for line in g {
                    if line.hasPrefix("$ ") {
                        b.commands.append(String(line.dropFirst(2)))
                        b.shown.append([])
                    } else if !b.shown.isEmpty {
                        b.shown[b.shown.count - 1].append(line)
                    }
                }
                blocks.append(b)
            } else if let first = g.first, !first.hasPrefix("{"),
                first.range(of: #"^lt-[a-z]+: "#, options: .regularExpression) == nil
            {
                blocks.append(Block(commands: [g.joined(separator: "\n")], shown: []))
            }
        }
        return blocks
    }

    @Test(arguments: ["README.md", "examples/RECIPES.md"])
    func everyCommandBlockRunsAsWritten(_ document: String) throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let port = receiver.port
        try FileManager.default.copyItem(atPath: Tool.packageRoot + "/examples", toPath: dir.file("examples"))
        // The example endpoints point at a test receiver on 127.0.0.1:8787; this one listens elsewhere.
        let integrations = dir.read("examples/integrations.toml").replacingOccurrences(
            of: "127.0.0.1:8787", with: "127.0.0.1:\(port)")
        try dir.write("examples/integrations.toml", integrations)
        try dir.write("integrations.toml", integrations)
        let gz = try Tool.shell("gzip -c examples/completions.ndjson > completions-2025.ndjson.gz", cwd: dir.path)
        #expect(gz.status == 0)

        let blocks = try Self.blocks(Tool.packageRoot + "/" + document)
        #expect(blocks.count >= 3, "\(document) has \(blocks.count) command blocks")
        var script = """
            set -eo pipefail
            # What RECIPES.md says to add for a local test receiver, where a command does not have it yet.
            lt-send() {
                case " $* " in *" --allow-http "*) command lt-send "$@" ;; *) command lt-send --allow-http --allow-private "$@" ;; esac
            }

            """
        var transcripts: [(command: String, shown: [String])] = []
        var ran = 0
        for (i, block) in blocks.enumerated() {
            let text = block.commands.joined(separator: "\n")
            if let skip = Self.notRun.first(where: { text.contains($0.0) }) {
                // A block run whole by another test (its reason names it) may hold lt's commands too.
                #expect(
                    block.commands.count == 1 && (!text.contains("lt-query") || skip.1.contains("Tests runs it")),
                    "\(skip.0) shares a block with other commands")
                continue
            }
            // The README starts its own receiver on 8787; the test's is already listening.
            let runnable = text.components(separatedBy: "\n").filter { !$0.hasPrefix("python3 scripts/receiver.py") }
            // Each block starts with an empty cache, so the figures it shows do not depend on the blocks before it.
            script += "echo '::block \(i)' >&2\nexport LT_CACHE_DIR=\"$PWD/cache-\(i)\"\n"
            for (j, command) in runnable.enumerated() {
                if !block.isTranscript {
                    script += command + "\n"
                } else {
                    // What the command prints on stderr (where --stats goes) is kept for the shape check below.
                    script += "echo '::transcript \(transcripts.count)' >&2\n{ \(command); } 2>&1 | cat >&2\n"
                    transcripts.append((command, block.shown[j]))
                }
            }
            ran += 1
        }
        let out = try Tool.shell(script, env: ["EDITOR": "true", "LT_METRICS": ""], cwd: dir.path)
        let failedBlock = out.stderr.components(separatedBy: "::block ").last?.prefix(4) ?? "?"
        #expect(out.status == 0, "\(document): block \(failedBlock) failed: \(out.stderr.suffix(1500))")
        #expect(ran >= 3)
        #expect(!out.stderr.contains("error:"), "\(out.stderr.suffix(1500))")
        // Each transcript's output has the shape the document shows: the same text up to the first figure.
        let parts = out.stderr.components(separatedBy: "::transcript ")
        for (n, t) in transcripts.enumerated() {
            let got = parts.first { $0.hasPrefix("\(n)\n") } ?? ""
            for shown in t.shown {
                let shape = String(shown.prefix { !$0.isNumber })
                #expect(got.contains(shape), "\(t.command) shows \(shown), but printed: \(got)")
            }
        }
        #expect(try !receiver.requests().isEmpty, "\(document): nothing reached the receiver")
    }
}
