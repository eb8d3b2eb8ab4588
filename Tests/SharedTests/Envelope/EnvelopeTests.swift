import Testing

@testable import Shared

/// Envelopes parsed in process: bare payloads and envelopes, their members, lookup keys, and
/// bad lines that become input errors.
@Suite struct EnvelopeTests {
    static let uuid = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    static let completion =
        #"{"user":{"id":12345},"course":{"course_id":"course-v1:edX+DemoX+Demo_Course"},"completion":{},"enterprise":{"enterprise_customer_uuid":"\#(uuid)"}}"#

    /// Parses `text` and hands the envelope to `body` while its bytes live.
    func with<T>(_ text: String, _ body: (Envelope) throws -> T) throws -> T {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { try body(try Envelope($0)) }
    }

    @Test func aBarePayloadIsItsOwnPayload() throws {
        try with(Self.completion) { e in
            #expect(e.isBare)
            #expect(e.payload == 0..<Self.completion.utf8.count)
            #expect(e.isCourseCompletion)
            #expect(!e.isErrorRecord)
            #expect(e.id == nil && e.integration == nil && e.lookup == nil)
            #expect(e.enterpriseID == Self.uuid)
            let key = try e.lookupKey()
            #expect(
                key == LookupKey(userID: 12345, courseID: "course-v1:edX+DemoX+Demo_Course", enterpriseID: Self.uuid))
        }
    }

    @Test func envelopeMembersAreFound() throws {
        let line =
            #"{"id":"evt-1","integration":"demo","payload":{"event_type":"course_completion"},"lookup":{"status":"found"},"extra":[1]}"#
        try with(line) { e in
            #expect(!e.isBare)
            #expect(e.id == "evt-1")
            #expect(e.integration == "demo")
            #expect(e.isCourseCompletion)
            #expect(e.lookup != nil)
            let payload = try #require(e.payload)
            #expect(String(decoding: e.json.bytes(payload), as: UTF8.self) == #"{"event_type":"course_completion"}"#)
        }
    }

    @Test func anExplicitKeyServesPayloadsWithoutTheirOwn() throws {
        let other = "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"
        let line =
            #"{"key":{"user_id":7,"course_id":"c","enterprise_customer_uuid":"\#(other.uppercased())"},"payload":{"completion":{},"user":"x@example.com"}}"#
        try with(line) { e in
            var canonical = true
            let key = try e.lookupKey(canonical: &canonical)
            #expect(key == LookupKey(userID: 7, courseID: "c", enterpriseID: other))
            #expect(!canonical)
            #expect(e.enterpriseID == other.uppercased())
        }
    }

    /// Issue 23, point 1: another learner's key never overrides the payload's own.
    @Test func anExplicitKeyMustAgreeWithThePayloadsOwn() throws {
        let other = "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"
        let line =
            #"{"key":{"user_id":7,"course_id":"c","enterprise_customer_uuid":"\#(other)"},"payload":\#(Self.completion)}"#
        try with(line) { e in
            #expect(throws: KeyDisagreement.self) { try e.lookupKey() }
            do { _ = try e.lookupKey() } catch { #expect("\(error)".contains("user 7 ≠ 12345")) }
        }
    }

    @Test func errorRecordsAndEnrollments() throws {
        try with(#"{"error":{"message":"m"},"line":3}"#) { e in
            #expect(e.isErrorRecord)
            #expect(e.payload == nil)
        }
        try with(#"{"payload":{"enrollment":{}},"error":null}"#) { e in
            #expect(!e.isErrorRecord)
            #expect(!e.isCourseCompletion)
        }
    }

    @Test(arguments: [
        ("[1,2]", "not an object"),
        ("{\"a\":", "not valid JSON"),
        (#"{"payload":[1]}"#, "\"payload\" is a JSON array"),
        (#"{"payload":{},"integration":5}"#, "integration"),
    ])
    func badLinesSayWhatIsWrong(_ line: String, _ says: String) {
        do {
            try with(line) { _ in }
            Issue.record("accepted \(line)")
        } catch let e as InputError {
            #expect(e.message.contains(says), "\(e.message)")
            #expect(e.kind == .failure)
        } catch { Issue.record("\(error)") }
    }

    @Test func aBadKeyIsAnInputError() throws {
        let line =
            #"{"user":{"id":"x"},"course":{"course_id":"c"},"enterprise":{"enterprise_customer_uuid":"not-a-uuid"},"completion":{}}"#
        try with(line) { e in
            do {
                _ = try e.lookupKey()
                Issue.record("accepted a bad key")
            } catch let error as LTError {
                #expect(error.kind == .failure)
                #expect(error.description.contains("user.id"), "\(error)")
            } catch { Issue.record("\(error)") }
        }
    }
}
