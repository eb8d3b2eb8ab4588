import Foundation
import PackagePlugin

/// Gives the target it is applied to (Shared) `LTVersion.commit`, the commit the build is made from,
/// for `--version`. scripts/commit-stamp.sh holds the logic (git, else the `git archive` stamp in
/// packaging/commit, else "unknown"), so the tests can run it on a tarball and on other checkouts.
///
/// A build command, run again only when one of its inputs changes: the git files that move when
/// HEAD moves (a commit, checkout, merge or reset appends to logs/HEAD and rewrites the branch's
/// ref), the index, packaging/commit, the script, and every source file (so "-dirty" follows edits).
/// Why not a prebuild command, which would ask git before every build: SwiftPM skips them on builds
/// that reuse the cached build plan (swiftlang/swift-package-manager#5476), so the commit went stale.
/// The script rewrites the generated file only when its text changes, so nothing recompiles for
/// nothing.
@main
struct CommitStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let script = package.appending(path: "scripts/commit-stamp.sh")
        let output = context.pluginWorkDirectoryURL.appending(path: "generated/Commit.swift")
        let sources = context.package.targets.flatMap { ($0 as? SourceModuleTarget)?.sourceFiles.map(\.url) ?? [] }
        let inputs = [script, package.appending(path: "packaging/commit")] + gitFiles(package) + sources
        return [
            .buildCommand(
                displayName: "Stamping the commit into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, package.path, output.path],
                inputFiles: inputs.filter { FileManager.default.fileExists(atPath: $0.path) },
                outputFiles: [output])
        ]
    }

    /// The files of the repository holding `package` that change when HEAD or the index does (none
    /// without git or a repository). `--git-path` finds them in linked worktrees too.
    private func gitFiles(_ package: URL) -> [URL] {
        let branch = git(package, ["rev-parse", "--symbolic-full-name", "HEAD"]).first ?? ""
        let names = ["HEAD", "logs/HEAD", "index", "packed-refs"] + (branch.hasPrefix("refs/") ? [branch] : [])
        return git(package, ["rev-parse"] + names.flatMap { ["--git-path", $0] }).map {
            $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : package.appending(path: $0)
        }
    }

    /// The lines git prints, or none when it fails.
    private func git(_ directory: URL, _ arguments: [String]) -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
