import Foundation
import Testing

/// `lt-send --prune-delivered`: a resumed run drops from the dead-letter file the lines that the
/// journal shows as delivered, against a real receiver on 127.0.0.1 and a real SQLite journal.
@Suite struct LtSendPruneDeliveredTests {
    static func line(_ id: String) -> String {
        #"{"id": "\#(id)", "payload": {"user": {"id": 1}, "note": "\#(id)"}}"#
    }

    /// A file's lines, sorted: lines rejected at once reach the dead-letter file before failed ones.
    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).sorted() }

    static func integrations(_ url: String) -> String {
        "default = \"p\"\n[integrations.p]\nurl = \"\(url)\"\nretries = 0\n"
    }

    @Test func aResumedRunDropsTheLinesItDeliveredFromTheDeadLetterFile() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let record =
            #"{"error":{"tool":"lt-enrich","source":"<stdin>","line":4,"message":"bad","hint":"fix it"},"input":"x"}"#
        let input = ["a", "b", "c"].map(Self.line) + [record]
        let args = [
            "--integrations", dir.file("integrations.toml"), "--journal", dir.file("sent.journal"),
            "--dead-letter", dir.file("failed.ndjson"), "--allow-http", "--allow-private",
        ]
        // The partner refuses everything: every line is dead-lettered.
        try dir.write("integrations.toml", Self.integrations(receiver.url("/status/400/hook")))
        let first = try Tool.run("lt-send", args + ["--prune-delivered"], stdin: input.joined(separator: "\n") + "\n")
        #expect(first.status == 1, "\(first.stderr)")
        #expect(Self.lines(dir.read("failed.ndjson")) == input.sorted())

        // The partner is back; the resumed run delivers a and b. Without --prune-delivered the
        // dead-letter file still lists them.
        try dir.write("integrations.toml", Self.integrations(receiver.url("/hook")))
        try FileManager.default.copyItem(atPath: dir.file("failed.ndjson"), toPath: dir.file("before.ndjson"))
        let plain = try Tool.run(
            "lt-send",
            args.map {
                $0 == dir.file("failed.ndjson")
                    ? dir.file("before.ndjson") : $0 == dir.file("sent.journal") ? dir.file("other.journal") : $0
            }, stdin: Self.line("a") + "\n")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(dir.read("before.ndjson").contains(#""id": "a""#), "no pruning unless asked")

        let resumed = try Tool.run(
            "lt-send", args + ["--prune-delivered", "--log-level", "info"],
            stdin: Self.line("a") + "\n" + Self.line("b") + "\n")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("dropped 2 lines"), "\(resumed.stderr)")
        // What is left is what is still undelivered, byte for byte: c, and the error record.
        #expect(Self.lines(dir.read("failed.ndjson")) == [Self.line("c"), record].sorted())
        let st = try FileManager.default.attributesOfItem(atPath: dir.file("failed.ndjson"))
        #expect((st[.posixPermissions] as? Int) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".prune.") }
        #expect(leftovers.isEmpty)

        // A run that delivers nothing new leaves the file as it is.
        let again = try Tool.run("lt-send", args + ["--prune-delivered"], stdin: Self.line("a") + "\n")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.lines(dir.read("failed.ndjson")) == [Self.line("c"), record].sorted())
    }

    @Test func pruneDeliveredNeedsTheJournalAndTheDeadLetterFile() throws {
        for args in [["--dead-letter", "f.ndjson"], ["--journal", "j.db"]] {
            let out = try Tool.run("lt-send", ["--url", "http://127.0.0.1:9/h", "--prune-delivered"] + args)
            #expect(out.status == 64, "\(out.stderr)")
            #expect(out.stderr.contains("--prune-delivered needs --journal"), "\(out.stderr)")
        }
    }

    @Test func aDeadLetterFileThatIsALinkIsRefusedNotPruned() throws {
        let dir = try Workdir()
        try dir.write("target.ndjson", Self.line("a") + "\n")
        try FileManager.default.createSymbolicLink(
            atPath: dir.file("failed.ndjson"), withDestinationPath: "target.ndjson")
        let out = try Tool.run(
            "lt-send",
            [
                "--url", "http://127.0.0.1:9/h", "--allow-http", "--allow-private", "--journal", dir.file("j.db"),
                "--dead-letter", dir.file("failed.ndjson"), "--prune-delivered",
            ], stdin: "")
        #expect(out.status == 2, "\(out.stderr)")
        #expect(dir.read("target.ndjson") == Self.line("a") + "\n")
    }
}
