import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 24, point 5: the files lt-send creates or appends to are never written through a planted
/// link, hold learner data owner-only, never take over another program's database, and a full
/// disk under the attempt log stops the run like one under the dead-letter file. Real files, a
/// real receiver on 127.0.0.1, a real tmpfs.
@Suite struct LtSendStateFilesTests {
    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }

    @Test func learnerDataFilesAreCreatedOwnerOnly() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // The usual umask (022) would leave files SQLite creates readable by everyone.
        let out = try Tool.shell(
            """
            umask 022
            lt-send --url "$1" --allow-http --allow-private --retries 0 --journal "$2" --dead-letter "$3" --attempts "$4" < "$5"
            """,
            args: [
                "", receiver.url("/status/500/x"), dir.file("journal"), dir.file("dead.ndjson"),
                dir.file("attempts.ndjson"), try dir.write("in.ndjson", SendFixtures.lines(2)),
            ])
        #expect(out.status == 1, "\(out.stderr)")
        for name in ["journal", "journal.lock", "dead.ndjson", "attempts.ndjson"] {
            #expect(Self.mode(dir.file(name)) == 0o600, "\(name): \(String(Self.mode(dir.file(name)), radix: 8))")
        }
    }

    @Test(arguments: ["--dead-letter", "--attempts", "--journal"])
    func aLinkPlantedAtAStateFileIsRefusedAndItsTargetUntouched(option: String) throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let victim = try dir.write("victim", "precious\n")
        #expect(symlink(victim, dir.file("planted")) == 0)
        let out = try Tool.run(
            "lt-send",
            ["--url", receiver.url("/status/500/x"), "--allow-http", "--allow-private", option, dir.file("planted")],
            stdin: SendFixtures.lines(1))
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("is a symbolic link; lt never writes through a link"), "\(out.stderr)")
        #expect(dir.read("victim") == "precious\n")
        #expect(try receiver.requests().isEmpty)
    }

    @Test func aLinkAtTheMetricsFileIsNotFollowed() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let victim = try dir.write("victim", "precious\n")
        #expect(symlink(victim, dir.file("lt-send.prom")) == 0)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--metrics-file",
                dir.file("lt-send.prom"),
            ],
            stdin: SendFixtures.lines(1))
        // Metrics never fail a run: a warning says why the file was not written.
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("is a symbolic link"), "\(out.stderr)")
        #expect(dir.read("victim") == "precious\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func anotherProgramsDatabaseAsTheJournalIsLeftByteForByte() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let db = dir.file("notes.db")
        let made = try Tool.shell(
            "sqlite3 \"$0\" \"CREATE TABLE notes (a); INSERT INTO notes VALUES ('mine');\"", args: [db])
        #expect(made.status == 0, "\(made.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let out = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--journal", db],
            stdin: SendFixtures.lines(1))
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("another program's SQLite database"), "\(out.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        #expect(try receiver.requests().isEmpty)
    }

    @Test(.enabled(if: ReliabilityTests.isRoot)) func theAttemptLogOnAFullDiskStopsTheRunWithExit74() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let fs = try SmallFilesystem(in: dir, kilobytes: 256)
        try fs.fill(leaving: 4096)
        // Each failed attempt's record holds the 500 body; a few fill the last free page.
        let input = try dir.write("input.ndjson", ReliabilityTests.sendLines(60, prefix: "al", pad: 200))
        let out = try Tool.shell(
            """
            lt-send --url "$1" --allow-http --allow-private --retries 0 --breaker-failures 0 --concurrency 2 \
              --attempts "$2" --dead-letter "$3" < "$4" > "$5"
            """,
            args: [
                "", receiver.url("/status/500/x"), fs.path + "/attempts.ndjson", dir.file("dead.ndjson"), input,
                dir.file("results.ndjson"),
            ])
        #expect(out.status == 74, "\(out.stderr.suffix(600))")
        #expect(out.stderr.contains("cannot write the attempts file"), "\(out.stderr.suffix(600))")
        #expect(out.stderr.contains("no more input is read"), "\(out.stderr.suffix(600))")
        // Reading stopped: fewer attempts than lines, and every line read has one fate.
        let results = dir.read("results.ndjson").split(separator: "\n")
        #expect(try receiver.requests().count < 60)
        let dead = dir.read("dead.ndjson").split(separator: "\n")
        #expect(results.count == dead.count && !results.isEmpty, "\(results.count) results, \(dead.count) dead")
        let written = dir.read("small-fs/attempts.ndjson")
        #expect(written.isEmpty || written.hasSuffix("\n"), "the attempt log holds part of a record")
    }
}
