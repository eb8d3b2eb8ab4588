import Foundation
import Testing

/// `--version` says which tool and which build: `lt-send 0.1.0 (commit 0f5e6e7)`. The commit is
/// stamped at build time by scripts/commit-stamp.sh (run by the CommitStamp plugin); these tests run
/// that script on a `git archive` tarball and on throwaway repositories too.
@Suite struct VersionTests {
    static let tools = ["lt-query", "lt-enrich", "lt-send", "lt-rollup"]

    /// This checkout's `git rev-parse --short HEAD`, or nil when the package is not the top of a git
    /// work tree (a tarball).
    static let checkoutCommit: String? = {
        guard
            let top = try? Tool.shell("git -C \"$0\" rev-parse --show-toplevel", args: [Tool.packageRoot]),
            top.status == 0,
            URL(fileURLWithPath: top.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).resolvingSymlinksInPath()
                == URL(fileURLWithPath: Tool.packageRoot).resolvingSymlinksInPath(),
            let head = try? Tool.shell("git -C \"$0\" rev-parse --short HEAD", args: [Tool.packageRoot]),
            head.status == 0
        else { return nil }
        return head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    static let isCheckout = checkoutCommit != nil

    /// The commit in the first line of `--version`, after checking the line's shape for `name`.
    static func commit(in output: ToolOutput, of name: String) throws -> String {
        let first = String(output.stdout.split(separator: "\n").first ?? "")
        let match = try #require(
            first.wholeMatch(of: /(\S+) (\d+\.\d+\.\d+) \(commit ([0-9a-f]{7,40}(?:-dirty)?|unknown)\)/),
            "\(name) --version: \(output.stdout)")
        #expect(match.1 == name)
        return String(match.3)
    }

    @Test func everyToolNamesItselfAndTheCommitItWasBuiltFrom() throws {
        for tool in Self.tools {
            let out = try Tool.run(tool, ["--version"])
            #expect(out.status == 0)
            let commit = try Self.commit(in: out, of: tool)
            if let head = Self.checkoutCommit {
                // "-dirty" when the sources differed from HEAD at build time; the commit itself is HEAD's.
                #expect(commit == head || commit == head + "-dirty", "\(tool): \(commit), HEAD is \(head)")
            }
        }
    }

    @Test func theReleaseBinaryRunAsItselfPrintsItsVersionAndCommit() throws {
        let out = try Tool.run("lt", ["--version"])
        #expect(out.status == 0, "\(out.stderr)")
        let commit = try Self.commit(in: out, of: "lt")
        if let head = Self.checkoutCommit { #expect(commit.hasPrefix(head)) }
        #expect(
            try Tool.run("lt-query", ["--version"]).stdout
                == out.stdout.replacingOccurrences(of: "lt ", with: "lt-query "))
        let bare = try Tool.run("lt", [])
        #expect(bare.status == 64)
        #expect(bare.stderr.contains("install it under those names"))
    }

    @Test(.enabled(if: isCheckout, "needs the package as a git work tree"))
    func gitArchiveFillsInTheCommitStamp() throws {
        let out = try Tool.shell(
            "cd \"$0\" && git archive HEAD packaging/commit | tar -xO", args: [Tool.packageRoot])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == (Self.checkoutCommit ?? "") + "\n")
    }

    @Test(.enabled(if: isCheckout, "needs the package as a git work tree"))
    func aTarballWithoutGitKnowsItsCommit() throws {
        let dir = try Workdir()
        let out = try Tool.shell(
            """
            (cd "$0" && git archive HEAD packaging/commit scripts/commit-stamp.sh) | tar -x -C "$1" \
                && sh "$1/scripts/commit-stamp.sh" "$1" && sh "$1/scripts/commit-stamp.sh" "$1" "$1/out/Commit.swift" \
                && cat "$1/out/Commit.swift"
            """, args: [Tool.packageRoot, dir.path])
        #expect(out.status == 0, "\(out.stderr)")
        let head = Self.checkoutCommit ?? ""
        #expect(out.lines.first == head)
        #expect(out.stdout.contains("static let commit = \"\(head)\""))
    }

    /// A copy with the placeholder unfilled (not made by `git archive`), a stamp that is no commit,
    /// and a copy unpacked inside some other repository all say "unknown", never another commit.
    @Test func withoutGitOrAStampTheCommitIsUnknown() throws {
        let dir = try Workdir()
        let out = try Tool.shell(
            """
            set -e
            script=$0/scripts/commit-stamp.sh
            mkdir -p "$1/plain/packaging" "$1/outer/lt/packaging"
            cp "$0/packaging/commit" "$1/plain/packaging/commit"
            sh "$script" "$1/plain"
            echo 'abc' > "$1/plain/packaging/commit"; sh "$script" "$1/plain"
            echo 'ABCDEF0123' > "$1/plain/packaging/commit"; sh "$script" "$1/plain"
            rm "$1/plain/packaging/commit"; sh "$script" "$1/plain"
            cp "$0/packaging/commit" "$1/outer/lt/packaging/commit"
            git -C "$1/outer" init -q && git -C "$1/outer" -c user.name=t -c user.email=t@example.com \
                commit -q --allow-empty -m outer
            sh "$script" "$1/outer/lt"
            """, args: [Tool.packageRoot, dir.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.lines == Array(repeating: "unknown", count: 5))
    }

    @Test func aCheckoutGivesItsHeadAndDirtyWhenATrackedFileChanged() throws {
        let dir = try Workdir()
        let out = try Tool.shell(
            """
            set -e
            package=$0 repo=$1/repo
            git() { command git -C "$repo" -c user.name=t -c user.email=t@example.com "$@"; }
            mkdir "$repo" && git init -q && echo one > "$repo/file" && git add file && git commit -qm one
            stamp() { sh "$package/scripts/commit-stamp.sh" "$repo" "$repo/.out/Commit.swift"; \
                sed -n 's/.*static let commit = "\\(.*\\)"/\\1/p' "$repo/.out/Commit.swift"; }
            git rev-parse --short HEAD
            stamp
            echo untracked > "$repo/other"; stamp
            echo two > "$repo/file"; stamp
            git commit -qam two && git rev-parse --short HEAD && stamp
            """, args: [Tool.packageRoot, dir.path])
        #expect(out.status == 0, "\(out.stderr)")
        let l = out.lines
        #expect(l.count == 6, "\(out.stdout)")
        guard l.count == 6 else { return }
        #expect(l[1] == l[0])
        #expect(l[2] == l[0], "an untracked file is no change to the build")
        #expect(l[3] == l[0] + "-dirty")
        #expect(l[5] == l[4] && l[4] != l[0])
    }

    /// The generated file keeps its inode and time when its text would not change, so a build with
    /// nothing new compiles nothing; a new commit rewrites it.
    @Test func theStampIsRewrittenOnlyWhenTheCommitChanges() throws {
        let dir = try Workdir()
        let out = try Tool.shell(
            """
            set -e
            script=$0/scripts/commit-stamp.sh repo=$1/repo
            git() { command git -C "$repo" -c user.name=t -c user.email=t@example.com "$@"; }
            mkdir "$repo" && git init -q && git commit -q --allow-empty -m one
            out=$repo/.out/Commit.swift
            sh "$script" "$repo" "$out"; touch -d 2001-01-01 "$out"; stat -c '%i %Y' "$out"
            sh "$script" "$repo" "$out"; stat -c '%i %Y' "$out"
            git commit -q --allow-empty -m two
            sh "$script" "$repo" "$out"; stat -c '%i %Y' "$out"
            ls -A "$repo/.out"
            """, args: [Tool.packageRoot, dir.path])
        #expect(out.status == 0, "\(out.stderr)")
        let l = out.lines
        #expect(l.count == 4, "\(out.stdout)")
        guard l.count == 4 else { return }
        #expect(l[1] == l[0])
        #expect(l[2] != l[0])
        #expect(l[3] == "Commit.swift", "no temporary file left beside it")
    }
}
