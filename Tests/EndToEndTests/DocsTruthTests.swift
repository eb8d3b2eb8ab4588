import Foundation
import Testing

/// What the operator reads says what the tools do. Everything is derived from the tools and the
/// documents themselves, never from a list written here, so an option, a tool, an exit status or an
/// example added later is checked as soon as it exists:
/// - every option a tool's `--help` lists is in its man page, and every option a page or a help
///   text names belongs to the tool it is written for;
/// - every exit status of docs/contract.md is in every tool's man page, and the reverse;
/// - every example in the man pages parses: TOML through lt-send's own parser, rollout JSON through
///   lt-enrich's, commands through bash with each option checked against its tool;
/// - no stray punctuation where generated text meets hand-written text (".;", ". .").
/// The package (links, files named in the docs, the demo) is checked by scripts/test-package.sh.
@Suite(.serialized) struct DocsTruthTests {
    /// A rendered man page: its name (`lt-send.1`), its text, and its source (roff).
    struct Page {
        var name: String
        var text: String
        var source: String
        /// The tool a section-1 page describes, nil for a file format's page.
        var tool: String? { name.hasSuffix(".1") ? String(name.dropLast(2)) : nil }

        /// The lines of one section (from its heading to the next), as rendered.
        func section(_ heading: String) -> String {
            var out: [Substring] = []
            var inside = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if let first = line.first, first.isUppercase, line.uppercased() == line {
                    inside = line == heading
                } else if inside {
                    out.append(line)
                }
            }
            return out.joined(separator: "\n")
        }
    }

    /// The tools built: every `lt-NAME` executable in the bin folder but the fuzzers.
    static let tools: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Tool.binDir)) ?? []
        return names.filter {
            $0.range(of: #"^lt-[a-z]+$"#, options: .regularExpression) != nil && !$0.hasPrefix("lt-fuzz")
                && FileManager.default.isExecutableFile(atPath: Tool.path($0))
        }.sorted()
    }()

    /// Each tool's options (`--name` and `-n`) as its own description of itself gives them.
    static func options(of tool: String) throws -> (shown: [String], all: Set<String>) {
        let dump = try Tool.run(tool, ["--experimental-dump-help"])
        let json = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any]
        let command = json?["command"] as? [String: Any]
        var shown: [String] = []
        var all: Set<String> = ["--help", "-h", "--version"]
        for argument in command?["arguments"] as? [[String: Any]] ?? []
        where argument["kind"] as? String != "positional" {
            let names = (argument["names"] as? [[String: Any]] ?? []).map {
                ($0["kind"] as? String == "long" ? "--" : "-") + ($0["name"] as? String ?? "")
            }
            all.formUnion(names)
            if argument["shouldDisplay"] as? Bool ?? true, let long = names.first(where: { $0.hasPrefix("--") }) {
                shown.append(long)
            }
        }
        return (shown, all)
    }

    /// The pages scripts/man-pages.py writes from docs/man/ and the built tools, rendered by mandoc.
    static func pages(in dir: Workdir) throws -> [Page] {
        let out = try Tool.shell(
            "python3 \"$0\" \"$1\" \"$2\"", args: [Tool.packageRoot + "/scripts/man-pages.py", Tool.binDir, dir.path])
        #expect(out.status == 0, "man-pages.py: \(out.stderr)")
        var pages: [Page] = []
        for path in out.stdout.split(separator: "\n").map(String.init) {
            let text = try Tool.shell("mandoc -T utf8 -O width=300 \"$0\" | col -bx", args: [path])
            #expect(text.status == 0, "mandoc \(path): \(text.stderr)")
            pages.append(
                Page(
                    name: (path as NSString).lastPathComponent, text: text.stdout,
                    source: try String(contentsOfFile: path, encoding: .utf8)))
        }
        return pages
    }

    /// Options named in `text` (`--name`), each with the tool written shortly before it in the same
    /// command (`lt-send --url URL --allow-http`), if any.
    static func mentions(in text: String) -> [(option: String, tool: String?)] {
        let optionPattern = try! NSRegularExpression(pattern: #"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]"#)
        let toolPattern = try! NSRegularExpression(pattern: #"\blt-[a-z]+\b"#)
        var found: [(String, String?)] = []
        for line in text.split(separator: "\n") {
            let s = String(line)
            for m in optionPattern.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                let range = Range(m.range, in: s)!
                // The command this option is part of: back to a pipe, a semicolon or a parenthesis.
                var before = String(s[..<range.lowerBound])
                if let cut = before.lastIndex(where: { "|;()".contains($0) }) {
                    before = String(before[before.index(after: cut)...])
                }
                before = String(before.suffix(100))
                let tools = toolPattern.matches(in: before, range: NSRange(before.startIndex..., in: before))
                let tool = tools.last.map { String(before[Range($0.range, in: before)!]) }
                found.append((String(s[range]), tool))
            }
        }
        return found
    }

    @Test func everyToolHasAManPage() throws {
        #expect(Self.tools.count >= 3, "no tools in \(Tool.binDir)")
        let dir = try Workdir()
        let names = Set(try Self.pages(in: dir).map(\.name))
        for tool in Self.tools { #expect(names.contains(tool + ".1"), "\(tool) has no man page (docs/man/\(tool).1)") }
    }

    /// The README's install section says which names the binary is installed under and which man
    /// pages come with it: all of them (it once left out lt-rollup).
    @Test func theReadmeInstallSectionNamesEveryToolAndPage() throws {
        let readme = try String(contentsOfFile: Tool.packageRoot + "/README.md", encoding: .utf8)
        let install =
            try #require(readme.components(separatedBy: "\n## Install\n").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        let dir = try Workdir()
        for tool in Self.tools { #expect(install.contains("`\(tool)`"), "README's Install section lacks `\(tool)`") }
        for page in try Self.pages(in: dir) {
            let cited = page.name.replacingOccurrences(of: #"\.(\d)$"#, with: "($1)", options: .regularExpression)
            #expect(install.contains("`\(cited)`"), "README's Install section lacks the man page `\(cited)`")
        }
    }

    @Test func everyHelpOptionIsInTheManPageAndEveryOptionNamedExists() throws {
        let dir = try Workdir()
        let pages = try Self.pages(in: dir)
        var options: [String: Set<String>] = [:]
        for tool in Self.tools { options[tool] = try Self.options(of: tool).all }
        let everyOption = options.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        for page in pages {
            #expect(page.text.count > 500, "\(page.name) rendered empty")
            if let tool = page.tool, options[tool] != nil {
                let section = page.section("OPTIONS")
                for option in try Self.options(of: tool).shown {
                    #expect(
                        section.range(of: "(?<![\\w-])\(option)(?![\\w-])", options: .regularExpression) != nil,
                        "\(page.name) OPTIONS lacks \(option)")
                }
            }
            // The reverse: what a page names exists, for the tool it names it for (the shared
            // ENVIRONMENT section names other tools' options without naming the tool).
            for (option, named) in Self.mentions(in: page.text) {
                if let owner = named, let known = options[owner] {
                    #expect(
                        known.contains(option), "\(page.name) names \(option) for \(owner), which has no such option")
                } else {
                    #expect(everyOption.contains(option), "\(page.name) names \(option), which no tool has")
                }
            }
            for stray in [".;", ";.", ". .", ",."] {
                #expect(!page.text.contains(stray), "\(page.name) has a stray \"\(stray)\"")
            }
        }
        // Each tool's help names only options that exist, for the tool it names them for.
        for tool in Self.tools {
            let help = try Tool.run(tool, ["--help"]).stdout
            for (option, named) in Self.mentions(in: help) {
                if let owner = named, let known = options[owner] {
                    #expect(known.contains(option), "\(tool) --help names \(option) for \(owner), which has none")
                } else {
                    #expect(everyOption.contains(option), "\(tool) --help names \(option), which no tool has")
                }
            }
            for stray in [".;", ";.", ". .", ",."] {
                #expect(!help.contains(stray), "\(tool) --help has a stray \"\(stray)\"")
            }
        }
    }

    /// The exit statuses of docs/contract.md's "Exit status" table.
    static func contractStatuses() throws -> Set<Int> {
        let text = try String(contentsOfFile: Tool.packageRoot + "/docs/contract.md", encoding: .utf8)
        var statuses: Set<Int> = []
        var inside = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") { inside = line == "## Exit status" }
            if inside, line.hasPrefix("| "), let n = Int(line.dropFirst(2).prefix { $0.isNumber }) {
                statuses.insert(n)
            }
        }
        return statuses
    }

    @Test func everyContractExitStatusIsInEveryToolsManPage() throws {
        let statuses = try Self.contractStatuses()
        #expect(statuses.isSuperset(of: [0, 1, 2, 64]), "contract statuses: \(statuses.sorted())")
        let dir = try Workdir()
        for page in try Self.pages(in: dir) where page.tool != nil {
            let section = page.section("EXIT STATUS")
            let listed = Set(
                section.split(separator: "\n").flatMap { line -> [Int] in
                    let t = line.trimmingCharacters(in: .whitespaces)
                    // A status entry starts with its numbers: "74", or "130, 143", then its text
                    // on the same line (a short tag) or the next.
                    guard let r = t.range(of: #"^\d+(, \d+)*(?=\s{2,}|$)"#, options: .regularExpression) else {
                        return []
                    }
                    return t[r].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                })
            for status in statuses.sorted() {
                #expect(
                    listed.contains(status), "\(page.name) EXIT STATUS lacks \(status), which docs/contract.md lists")
            }
            for status in listed.subtracting(statuses).sorted() {
                #expect(Bool(false), "\(page.name) lists exit status \(status), which docs/contract.md does not")
            }
        }
    }

    /// The example blocks (.EX … .EE) of a page's source, as the reader sees them.
    static func examples(_ source: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(".EX") {
                current = []
            } else if line.hasPrefix(".EE") {
                if let c = current { blocks.append(c.joined(separator: "\n")) }
                current = nil
            } else if current != nil {
                current!.append(unescape(String(line)))
            }
        }
        return blocks
    }

    static func unescape(_ roff: String) -> String {
        var s = roff
        for (escape, text) in [
            ("\\-", "-"), ("\\(aq", "'"), ("\\(dq", "\""), ("\\(ga", "`"), ("\\&", ""), ("\\(ti", "~"),
            ("\\(ha", "^"), ("\\e", "\\"),
        ] {
            s = s.replacingOccurrences(of: escape, with: text)
        }
        return s
    }

    @Test func everyManPageExampleParses() throws {
        let dir = try Workdir()
        var options: [String: Set<String>] = [:]
        for tool in Self.tools { options[tool] = try Self.options(of: tool).all }
        var checked = 0
        for page in try Self.pages(in: dir) {
            for (i, example) in Self.examples(page.source).enumerated() {
                let file = dir.file("\(page.name).\(i)")
                try example.write(toFile: file, atomically: true, encoding: .utf8)
                let first = example.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty } ?? ""
                if first.hasPrefix("{") {
                    // A rollout file, read by lt-enrich's own parser.
                    let out = try Tool.run("lt-enrich", ["--rollout", file], stdin: "")
                    #expect(out.status == 0, "\(page.name) example \(i) is not a valid rollout file: \(out.stderr)")
                } else if first.contains(" = ") || first.hasPrefix("[") {
                    // An integrations file, read by lt-send's own parser: the secrets it names are set.
                    var env: [String: String] = [:]
                    let names = try NSRegularExpression(pattern: #"(\w+)_env = "(\w+)""#)
                    for m in names.matches(in: example, range: NSRange(example.startIndex..., in: example)) {
                        let key = String(example[Range(m.range(at: 1), in: example)!])
                        let variable = String(example[Range(m.range(at: 2), in: example)!])
                        env[variable] =
                            key == "secrets" ? "whsec_" + Data(repeating: 7, count: 32).base64EncodedString() : "x"
                    }
                    let out = try Tool.run("lt-send", ["--integrations", file, "--dry-run"], stdin: "", env: env)
                    #expect(
                        out.status == 0, "\(page.name) example \(i) is not a valid integrations file: \(out.stderr)")
                } else {
                    let syntax = try Tool.shell("bash -n \"$0\"", args: [file])
                    #expect(syntax.status == 0, "\(page.name) example \(i) is not valid shell: \(syntax.stderr)")
                    for (option, named) in Self.mentions(in: example) {
                        guard let tool = named ?? page.tool, let known = options[tool] else { continue }
                        #expect(known.contains(option), "\(page.name) example \(i): \(tool) has no \(option)")
                    }
                }
                checked += 1
            }
        }
        #expect(checked >= 5, "only \(checked) examples found")
    }
}
