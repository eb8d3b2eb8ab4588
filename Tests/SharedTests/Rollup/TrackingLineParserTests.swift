import Testing

@testable import Shared

/// Reading one tracking-log line: the two line formats, the shapes of user ids and courses, and
/// what is skipped and why.
@Suite struct TrackingLineParserTests {
    typealias F = RollupFixture

    func parse(_ line: String, rule: RollupRule = RollupRule()) -> (ParsedLine, String?) {
        var parser = TrackingLineParser(rule: rule)
        var line = line
        let parsed = line.withUTF8 { parser.parse($0) }
        if case .event(_, let course, _) = parsed { return (parsed, parser.courses.key(course)) }
        return (parsed, nil)
    }

    func user(_ line: String) -> Int64? {
        if case .event(let user, _, _) = parse(line).0 { return user }
        return nil
    }

    func reason(_ line: String, rule: RollupRule = RollupRule()) -> SkipReason? {
        if case .skipped(let r) = parse(line, rule: rule).0 { return r }
        return nil
    }

    @Test func readsTheClassicAndTheTutorFormats() {
        let classic = parse(F.server(time: "2026-01-10T10:00:00.123456+00:00"))
        #expect(classic.0 == .event(user: 6, course: 0, time: 1_768_039_200_123_456))
        #expect(classic.1 == F.course)
        let tutor = parse(F.tutorBrowser(time: "2026-01-10T10:00:00.123456+00:00"))
        #expect(tutor.0 == .event(user: 6, course: 0, time: 1_768_039_200_123_456))
    }

    @Test func userIdsAsIntegersDigitStringsOrFromTheEvent() {
        #expect(user(F.server(user: "12345", time: "2026-01-10T10:00:00Z")) == 12345)
        #expect(user(F.server(user: "\"12345\"", time: "2026-01-10T10:00:00Z")) == 12345)
        // Task-style: no user in the context, the event's user_id as a string.
        #expect(user(F.server(user: "\"\"", time: "2026-01-10T10:00:00Z", event: #"{"user_id": "6"}"#)) == 6)
        #expect(user(F.server(user: "null", time: "2026-01-10T10:00:00Z", event: #"{"user_id": 9}"#)) == 9)
        for bad in ["\"\"", "null", "\"6a\"", "6.0", "true", "\"-6\"", "99999999999999999999"] {
            #expect(reason(F.server(user: bad, time: "2026-01-10T10:00:00Z")) == .noUser, "\(bad)")
        }
        // A browser event's `event` is a JSON string: its user_id is not read.
        #expect(
            reason(F.server(user: "\"\"", time: "2026-01-10T10:00:00Z", event: #""{\"user_id\": 6}""#)) == .noUser)
    }

    @Test func oldSlashKeysAndCourseV1KeysAreBothCourses() {
        #expect(
            parse(F.server(course: "edX/DemoX/Demo_Course", time: "2026-01-10T10:00:00Z")).1 == "edX/DemoX/Demo_Course")
        #expect(reason(F.server(course: "", time: "2026-01-10T10:00:00Z")) == .noCourse)
        #expect(
            reason(F.server(course: String(repeating: "x", count: 256), time: "2026-01-10T10:00:00Z"))
                == .courseKeyTooLong)
    }

    @Test func theCourseFromTheURLOnlyWhenAsked() {
        var rule = RollupRule()
        rule.courseFromURL = true
        let line =
            #"{"event_type": "/courses/course-v1:edX+DemoX+Demo_Course/courseware/x/", "event_source": "server", "time": "2026-01-10T10:00:00Z", "context": {"user_id": 6, "course_id": "", "path": "/courses/course-v1:edX+DemoX+Demo_Course/courseware/x/"}}"#
        #expect(reason(line) == .noCourse)
        #expect(parse(line, rule: rule).1 == "course-v1:edX+DemoX+Demo_Course")
        let old =
            #"{"event_type": "x", "page": "https://lms/courses/edX/DemoX/Demo_Course/info?x=1", "time": "2026-01-10T10:00:00Z", "context": {"user_id": 6}}"#
        #expect(parse(old, rule: rule).1 == "edX/DemoX/Demo_Course")
    }

    @Test func notLearnerActivity() {
        for name in [
            "edx.grades.subsection.grade_calculated", "edx.course.grade.now_passed", "edx.certificate.created",
            "edx.course.enrollment.activated",
        ] {
            #expect(reason(F.server(time: "2026-01-10T10:00:00Z", name: name)) == .notLearnerActivity, "\(name)")
        }
        #expect(reason(F.server(time: "2026-01-10T10:00:00Z", source: "task")) == .notLearnerActivity)
        #expect(reason(F.server(time: "2026-01-10T10:00:00Z", name: "edx.course.completed")) == nil)
        var rule = RollupRule()
        rule.excludedPatterns = ["edx.video.*"]
        #expect(
            reason(F.server(time: "2026-01-10T10:00:00Z", name: "edx.video.played"), rule: rule) == .notLearnerActivity)
        #expect(reason(F.server(time: "2026-01-10T10:00:00Z", name: "edx.ui.lms.x"), rule: rule) == nil)
        // `name` first, `event_type` when `name` is missing or empty.
        let typeOnly =
            #"{"event_type": "edx.grades.x", "name": "", "time": "2026-01-10T10:00:00Z", "context": {"user_id": 6, "course_id": "c"}}"#
        #expect(reason(typeOnly) == .notLearnerActivity)
    }

    @Test func malformedLines() {
        #expect(reason(#"{"time": "2026-01-10T10:00:00Z", "context": {"user_id": 6"#) == .notJSON)
        #expect(reason("INFO no json here") == .notJSON)
        #expect(reason(#"{"event_type": "x", "context": {"user_id": 6, "course_id": "c"}}"#) == .noTime)
        #expect(reason(#"{"time": 1768039200, "context": {"user_id": 6, "course_id": "c"}}"#) == .badTime)
        #expect(reason(#"{"time": "2026-02-30T10:00:00Z", "context": {"user_id": 6, "course_id": "c"}}"#) == .badTime)
        #expect(reason(#"{"time": "2026-01-10T10:00:00Z"} trailing"#) == .notJSON)
        #expect(reason("") == .blank)
        #expect(reason("   ") == .blank)
        #expect(reason("# comment {") == .blank)
        #expect(SkipReason.notJSON.isMalformed && SkipReason.badTime.isMalformed && !SkipReason.noUser.isMalformed)
    }
}
