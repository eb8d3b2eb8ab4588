import Foundation
import Testing
@testable import Shared

@Suite struct DeliveryJournalTests {
    @Test func idsSurviveAReopenAndAreWrittenOnlyOnce() throws {
        let path = NSTemporaryDirectory() + "lt-journal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let j = try DeliveryJournal(path: path)
            j.record("a")
            j.record("b")
            j.record("a")
            #expect(j.hasUnsynced)
            try j.sync()
            #expect(!j.hasUnsynced)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n")
        let again = try DeliveryJournal(path: path)
        #expect(again.contains("a") && again.contains("b") && !again.contains("c"))
        again.record("b")
        #expect(!again.hasUnsynced)
    }

    @Test func oauthTokenAnswerIsParsed() throws {
        let (token, expires) = try OAuthTokenSource.parse(Array(#"{"access_token":"t-1","token_type":"Bearer","expires_in":3599}"#.utf8))
        #expect(token == "t-1")
        #expect(expires == 3599)
        #expect(throws: DeliveryError.self) { try OAuthTokenSource.parse(Array(#"{"error":"invalid_client"}"#.utf8)) }
    }
}
