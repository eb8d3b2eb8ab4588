import Foundation
import Testing

@testable import Shared

/// Corrections (issue 23, point 5): the revision's id and mark, and the journal's entries.
@Suite struct RevisionTests {
    @Test func theIdIsDerivedFromTheOriginalAndTheNumber() {
        let r = Revision(number: 2, original: "msg_11e87be663903baa54eadf02329fccda", previousTotal: 100)
        #expect(r.id == "msg_11e87be663903baa54eadf02329fccda-rev2")
        #expect(WebhookID.problem(r.id) == nil)
        let long = String(repeating: "x", count: WebhookID.maxLength)
        let hashed = Revision(number: 1, original: long, previousTotal: nil).id
        #expect(hashed.hasPrefix("msg_") && hashed.count == 36)
        #expect(hashed == Revision(number: 1, original: long, previousTotal: 5).id, "a re-run derives the same id")
        #expect(hashed != Revision(number: 2, original: long, previousTotal: nil).id)
        #expect(r.headers.map(\.name.text) == ["lt-revision", "lt-revision-of"])
        #expect(r.headers.map(\.value.text) == ["2", r.original])
    }

    func marked(_ line: String) throws -> String {
        try Array(line.utf8).withUnsafeBufferPointer { buf in
            let e = try Envelope(buf)
            let r = Revision(number: 3, original: "evt-1", previousTotal: nil)
            return String(decoding: r.mark(e), as: UTF8.self)
        }
    }

    @Test func thePayloadIsMarkedInItsLearningTimeObjectOnly() throws {
        #expect(
            try marked(#"{"payload":{"a": 1, "learning_time": {"total_seconds": 5} , "z":[]}}"#)
                == #"{"a": 1, "learning_time": {"total_seconds": 5,"revision":3,"revision_of":"evt-1"} , "z":[]}"#)
        #expect(
            try marked(#"{"payload":{"learning_time":{}}}"#)
                == #"{"learning_time":{"revision":3,"revision_of":"evt-1"}}"#)
        // No object to mark (another --field or --format seconds), or one that repeats: the headers mark it.
        #expect(try marked(#"{"payload":{"duration_spent":5}}"#) == #"{"duration_spent":5}"#)
        #expect(try marked(#"{"payload":{"learning_time":5}}"#) == #"{"learning_time":5}"#)
        #expect(
            try marked(#"{"payload":{"learning_time":{"revision":1}}}"#) == #"{"learning_time":{"revision":1}}"#)
    }

    @Test func theJournalKeepsTheLatestRevisionOfAnOriginal() throws {
        let folder = try ScratchFolder("lt-journal")
        let path = folder.file("journal")
        let digest = Array(repeating: UInt8(7), count: 32)
        do {
            let j = try DeliveryJournal(path: path)
            let s = try j.scope("partner")
            j.record(.init(id: "evt-1", scope: s, digest: digest, totalSeconds: nil))
            #expect(try j.entry("evt-1", scope: s) == .init(digest: digest, totalSeconds: nil, revision: 0))
            try j.sync()
            j.record(
                .init(id: "evt-1-rev1", scope: s, digest: [1], totalSeconds: 600, revision: 1, revisionOf: "evt-1"))
            // Unsynced, the latest revision counts already.
            #expect(try j.entry("evt-1", scope: s) == .init(digest: [1], totalSeconds: 600, revision: 1))
            try j.sync()
        }
        let j = try DeliveryJournal(path: path)
        let s = try j.scope("partner")
        #expect(try j.entry("evt-1", scope: s) == .init(digest: [1], totalSeconds: 600, revision: 1))
        #expect(try j.entry("evt-1-rev1", scope: s) == .init(digest: [1], totalSeconds: 600, revision: 1))
        #expect(try j.entry("evt-2", scope: s) == nil)
        #expect(try j.count() == 2)
    }
}
