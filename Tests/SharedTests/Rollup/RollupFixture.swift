@testable import Shared

/// Tracking-log lines in the shapes the LMS writes, for the rollup's tests.
enum RollupFixture {
    static let course = "course-v1:edX+DemoX+Demo_Course"
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    /// A classic server event: one JSON object.
    static func server(
        user: String = "6", course: String = RollupFixture.course, time: String, name: String = "problem_check",
        source: String = "server", event: String = "{}"
    ) -> String {
        #"{"name": "\#(name)", "event_type": "\#(name)", "event_source": "\#(source)", "time": "\#(time)", "#
            + #""context": {"user_id": \#(user), "course_id": "\#(course)", "path": "/event"}, "event": \#(event)}"#
    }

    /// A browser event behind Tutor's logging prefix, with its `event` as a JSON string.
    static func tutorBrowser(user: String = "\"6\"", course: String = RollupFixture.course, time: String) -> String {
        "2023-05-23 14:12:17,308 INFO 7 [tracking] [user 6] [ip 172.18.0.1] logger.py:41 - "
            + #"{"event_type": "play_video", "event_source": "browser", "time": "\#(time)", "#
            + #""page": "https://lms.example.com/courses/\#(course)/courseware/", "#
            + #""context": {"user_id": \#(user), "course_id": "\#(course)", "org_id": "edX"}, "#
            + #""event": "{\"id\": \"i4x-edX-DemoX-video-1\", \"currentTime\": 12}"}"#
    }

    /// Runs `lines` through a rollup and gives its rows (every row kept, attributed or not).
    static func rows(
        _ lines: [String], rule: RollupRule = RollupRule(),
        enterprises: EnterpriseEnrollments = EnterpriseEnrollments(),
        keepUnattributed: Bool = true
    ) -> (rows: [RollupRow], rollup: LearningTimeRollup, result: RollupResult) {
        let rollup = LearningTimeRollup(rule: rule)
        for (i, line) in lines.enumerated() {
            var line = line
            line.withUTF8 { rollup.add($0, at: SourceLocation(source: "t.log", line: i + 1)) }
        }
        let result = rollup.finish(enterprises: enterprises, keepUnattributed: keepUnattributed)
        return (result.rows, rollup, result)
    }

    /// (date, seconds) of each row.
    static func days(_ rows: [RollupRow]) -> [String: Int64] {
        Dictionary(rows.map { ($0.date, $0.seconds) }, uniquingKeysWith: +)
    }
}
