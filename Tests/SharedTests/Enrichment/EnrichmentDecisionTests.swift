import Testing

@testable import Shared

/// lt-enrich's `enrichment` record, written and read back as lt-send reads it (issue 23, point 4).
@Suite struct EnrichmentDecisionTests {
    static let key = LookupKey(
        userID: 12345, courseID: "course-v1:edX+DemoX+Demo_Course", enterpriseID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    )

    func parse(_ text: String) -> EnrichmentDecision? {
        Array(text.utf8).withUnsafeBufferPointer { buf in
            let s = JSONScanner(buf)
            guard let doc = try? s.document() else { return nil }
            return EnrichmentDecision.parse(s, objectAt: doc.lowerBound)
        }
    }

    @Test func writtenAndReadBack() {
        let decisions = [
            EnrichmentDecision(
                learningTime: true, rule: .percent, totalSeconds: 18540, lookupStatus: .found, lookupSource: .cache,
                key: Self.key),
            EnrichmentDecision(reason: .flagOff, rule: .enterprisesOut, lookupStatus: .skipped, key: Self.key),
            EnrichmentDecision(reason: .notCompletion),
        ]
        for d in decisions {
            var json = JSONBuffer()
            d.write(to: &json)
            #expect(parse(String(decoding: json.bytes, as: UTF8.self)) == d)
        }
    }

    @Test func onlyKnownValuesAndValidKeysAreTaken() {
        let d = parse(
            #"{"learning_time":false,"reason":"because","rule":"x","lookup_status":"found","total_seconds":5,"#
                + #""key":{"user_id":1,"course_id":"c","enterprise_customer_uuid":"learner@example.com"}}"#)
        #expect(d == EnrichmentDecision(lookupStatus: .found))
        #expect(parse(#"{"reason":"flag_off"}"#) == nil)
        #expect(parse(#"{"learning_time":true,"learning_time":false}"#) == nil)
        let upper = parse(
            #"{"learning_time":false,"key":{"user_id":1,"course_id":"c","enterprise_customer_uuid":"A1B2C3D4-E5F6-7890-ABCD-EF1234567890"}}"#
        )
        #expect(upper?.key?.enterpriseID == "a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    }
}
