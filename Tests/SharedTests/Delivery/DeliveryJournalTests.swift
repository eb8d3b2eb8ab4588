import CSQLite
import Foundation
import Testing

@testable import Shared

@Suite struct DeliveryJournalTests {
    /// The journal's folder, removed with the journal's companion files when the test ends.
    let folder: ScratchFolder

    init() throws { folder = try ScratchFolder("lt-journal") }

    @Test func idsSurviveAReopenScopedByDestination() throws {
        let path = folder.file("journal")
        do {
            let j = try DeliveryJournal(path: path)
            let a = try j.scope("partner-a")
            let b = try j.scope("partner-b")
            let aAgain = try j.scope("partner-a")
            #expect(a != b && aAgain == a)
            j.record("id-1", scope: a)
            j.record("id-2", scope: a)
            let found = try j.contains("id-1", scope: a)
            #expect(j.hasUnsynced && found)
            try j.sync()
            #expect(!j.hasUnsynced)
            j.record("id-1", scope: a)
            try j.sync()
            #expect(try j.count() == 2)
        }
        let again = try DeliveryJournal(path: path)
        let a = try again.scope("partner-a")
        let b = try again.scope("partner-b")
        let both = try again.contains("id-1", scope: a) && again.contains("id-2", scope: a)
        let other = try again.contains("id-1", scope: b)
        #expect(both && !other)
        #expect(again.repaired == nil)
    }

    @Test func aJournalInUseIsNotCalledDamaged() throws {
        let path = folder.file("journal")
        _ = try DeliveryJournal(path: path)
        // Another process (here another connection) holds the database's exclusive lock.
        let other = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE)
        try other.execute("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE")
        let error = try #require(throws: ConfigError.self) { try DeliveryJournal(path: path) }
        #expect(error.message.contains("in use by another process"), "\(error)")
        #expect(error.hint.contains("keep the journal") && !error.hint.contains("damaged"), "\(error)")
        // Damage itself still says so.
        try other.execute("ROLLBACK")
        let junk = folder.file("junk")
        try Data(Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0xEE, count: 8192)).write(
            to: URL(fileURLWithPath: junk))
        let damaged = try #require(throws: ConfigError.self) { try DeliveryJournal(path: junk) }
        #expect(damaged.hint.contains("damaged"), "\(damaged)")
    }

    @Test func theJournalAndItsWriteAheadLogAreOwnerOnly() throws {
        let path = folder.file("journal")
        let j = try DeliveryJournal(path: path)
        j.record("id-1", scope: try j.scope("p"))
        try j.sync()
        for suffix in ["", "-wal", ".lock"] {
            var st = stat()
            #expect(stat(path + suffix, &st) == 0, "\(suffix) is missing")
            #expect(st.st_mode & 0o777 == 0o600, "\(suffix): \(String(st.st_mode & 0o777, radix: 8))")
        }
    }

    @Test func aWriteAheadLogEndingInPartOfAFrameIsFoundTorn() throws {
        let wal = folder.file("journal-wal")
        var header = [UInt8](repeating: 0, count: 32)
        header[10] = 0x10  // page size 4096, big-endian at bytes 8 to 11
        try Data(header + [UInt8](repeating: 1, count: 2 * (24 + 4096))).write(to: URL(fileURLWithPath: wal))
        #expect(DeliveryJournal.tornTail(walPath: wal) == nil)
        try Data(header + [UInt8](repeating: 1, count: 2 * (24 + 4096) + 700)).write(to: URL(fileURLWithPath: wal))
        #expect(DeliveryJournal.tornTail(walPath: wal)?.contains("700 bytes") == true)
    }

    @Test func theIdRuleAdmitsVisibleASCIIOnly() {
        #expect(WebhookID.problem("msg_2Zx9-ok.1:~!") == nil)
        #expect(WebhookID.problem(String(repeating: "a", count: 256)) == nil)
        #expect(WebhookID.problem(String(repeating: "a", count: 257))?.contains("over the limit") == true)
        #expect(WebhookID.problem("")?.contains("empty") == true)
        #expect(WebhookID.problem("a b")?.contains("a space at position 2") == true)
        #expect(WebhookID.problem("a\r\nb")?.contains("control character") == true)
        #expect(WebhookID.problem("café")?.contains("non-ASCII") == true)
        #expect(WebhookID.problem("\u{7F}")?.contains("control character") == true)
    }

    @Test func oauthTokenAnswerIsParsed() throws {
        let (token, expires) = try OAuthTokenSource.parse(
            Array(#"{"access_token":"t-1","token_type":"Bearer","expires_in":3599}"#.utf8))
        #expect(token.text == "t-1")
        #expect(expires == 3599)
        #expect(throws: DeliveryError.self) { try OAuthTokenSource.parse(Array(#"{"error":"invalid_client"}"#.utf8)) }
    }
}
