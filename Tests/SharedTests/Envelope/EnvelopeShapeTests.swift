import Foundation
import Testing

@testable import Shared

/// What an envelope decides about its line: completion or not, the key, repeated members.
@Suite struct EnvelopeShapeTests {
    static let uuid = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    static let percipio =
        #"{"content_id":"course-v1:X+Y+Z","user":"ada@example.com","orgid":"o","status":"COMPLETED","event_date":"2026-01-10T15:30:00Z","completion_percentage":100,"duration_spent":0}"#
    static let key = #"{"user_id":7,"course_id":"course-v1:X+Y+Z","enterprise_customer_uuid":"\#(uuid)"}"#

    func envelope<T>(_ text: String, _ body: (Envelope) throws -> T) throws -> T {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try body(try Envelope(UnsafeBufferPointer($0))) }
    }

    @Test func eventMarksAnyPayloadShapeAsACompletion() throws {
        let marked = #"{"event":"course_completion","key":\#(Self.key),"payload":\#(Self.percipio)}"#
        try envelope(marked) { (e: Envelope) throws in
            #expect(e.isCourseCompletion)
            #expect(e.duplicateMember() == nil)
            #expect(try e.lookupKey() == LookupKey(userID: 7, courseID: "course-v1:X+Y+Z", enterpriseID: Self.uuid))
            #expect(e.enterpriseID == Self.uuid)
        }
        // Bare, or with another event, the flat payload is not a completion.
        try envelope(Self.percipio) { #expect(!$0.isCourseCompletion) }
        try envelope(#"{"event":"course_enrollment","payload":{"completion":{}}}"#) { #expect(!$0.isCourseCompletion) }
        try envelope(#"{"event":7,"payload":{"completion":{}}}"#) { #expect(!$0.isCourseCompletion) }
        try envelope(#"{"payload":{"event_type":7}}"#) { #expect(!$0.isCourseCompletion) }
        try envelope(#"{"payload":{"event_type":"course_completion"}}"#) { #expect($0.isCourseCompletion) }
    }

    @Test(arguments: [
        (#"{"payload":{},"payload":{}}"#, "payload"),
        (#"{"payload":{},"key":{},"k\u0065y":{}}"#, "key"),
        (#"{"payload":{},"event":"course_completion","event":"x"}"#, "event"),
        (#"{"payload":{},"key":{"user_id":1,"user_id":2}}"#, "key.user_id"),
        (#"{"user":{"id":1},"user":{"id":2}}"#, "payload.user"),
        (#"{"user":{"id":1,"id":2},"completion":{}}"#, "payload.user.id"),
        (#"{"course":{"course_id":"a","course_id":"b"}}"#, "payload.course.course_id"),
        (
            #"{"enterprise":{"enterprise_customer_uuid":"a","enterprise_customer_uuid":"b"}}"#,
            "payload.enterprise.enterprise_customer_uuid"
        ),
        (#"{"payload":{"completion":{},"completion":1}}"#, "payload.completion"),
        (#"{"event_type":"a","event_type":"course_completion"}"#, "payload.event_type"),
    ])
    func duplicateDecidingMembersAreNamed(text: String, name: String) throws {
        try envelope(text) { #expect($0.duplicateMember() == name) }
    }

    @Test func duplicatesOfOtherMembersDoNotMatter() throws {
        try envelope(#"{"note":1,"note":2,"user":{"id":1,"email":"a","email":"b"}}"#) {
            #expect($0.duplicateMember() == nil)
        }
        // In a bare payload, `payload` and `key` are the payload's own members, not an envelope's.
        try envelope(#"{"key":1,"key":2,"x":{}}"#) { #expect($0.duplicateMember() == nil) }
    }

    @Test func lookupPrefixKeepsEveryOtherMemberByteForByte() throws {
        let text = #"{"id": 1,"lookup":{"status":"found"},"payload":{"a" : 1.50},"lookup":2,"x":[ ]}"#
        let out = try envelope(text) { e -> String in
            var json = JSONBuffer()
            e.writeLookupPrefix(to: &json)
            return String(decoding: json.bytes, as: UTF8.self)
        }
        #expect(out == #"{"id": 1,"payload":{"a" : 1.50},"x":[ ],"lookup":"#)
        let bare = try envelope(#"{"a":1}"#) { e -> String in
            var json = JSONBuffer()
            e.writeLookupPrefix(to: &json)
            return String(decoding: json.bytes, as: UTF8.self)
        }
        #expect(bare == #"{"payload":{"a":1},"lookup":"#)
    }

    /// The webhook id read `event_type` as a string whatever its kind, past the end of a number.
    @Test func aNonStringEventTypeIsNotReadAsAString() throws {
        for value in ["5", "{}", "[1]", "null", "true", "\"course_completion\""] {
            let text =
                #"{"payload":{"event_type":\#(value),"user":{"id":1},"course":{"course_id":"c"},"#
                + #""enterprise":{"enterprise_customer_uuid":"\#(Self.uuid)"},"completion":{"completion_date":"d"}}}"#
            let id = try envelope(text) { WebhookID.make(for: $0) }
            #expect(id.hasPrefix("msg_") && id.count == 36, "\(value): \(id)")
        }
        // Any non-string kind counts as no event type, so the id is the same as without one.
        let number = try envelope(
            #"{"payload":{"event_type":5,"completion":{"completion_date":"d"},"user":{"id":1},"course":{"course_id":"c"},"enterprise":{"enterprise_customer_uuid":"e"}}}"#
        ) { WebhookID.make(for: $0) }
        let none = try envelope(
            #"{"payload":{"completion":{"completion_date":"d"},"user":{"id":1},"course":{"course_id":"c"},"enterprise":{"enterprise_customer_uuid":"e"}}}"#
        ) { WebhookID.make(for: $0) }
        #expect(number == none)
    }
}
