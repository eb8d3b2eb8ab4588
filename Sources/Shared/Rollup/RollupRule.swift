#if canImport(Glibc)
import Glibc
#endif

/// What a gap longer than the idle timeout counts.
public enum GapPolicy: String, CaseIterable, Sendable {
    /// The session ended: the gap counts 0 (edx2bigquery and most research).
    case drop
    /// The learner was active up to the timeout: the gap counts the timeout (tutor-cairn's reading).
    case truncate
}

/// The rollup's rule, as docs/rollup.md states it: which events count, and how gaps become time.
public struct RollupRule: Sendable {
    /// Longest gap between consecutive events of one learner in one course that counts whole, in microseconds.
    public var idleTimeout: Int64 = 30 * 60 * EventTime.microsecondsPerSecond
    public var gapPolicy: GapPolicy = .drop
    /// Glob patterns (fnmatch, as `--exclude` takes them) of more event names that are not learner activity.
    public var excludedPatterns: [String] = []
    /// Take the course from the URL (`context.path`, `page`, then an implicit event's `event_type`)
    /// when `context.course_id` is empty.
    public var courseFromURL = false

    /// Names of events that are not learner activity (grading, certificates, enrollment bookkeeping).
    public static let excludedPrefixes: [StaticString] = [
        "edx.grades.", "edx.course.grade.", "edx.certificate.", "edx.course.enrollment.",
    ]

    public init() {}

    /// What a gap between consecutive events counts, in microseconds.
    @inline(__always)
    public func counted(gap: Int64) -> Int64 {
        if gap <= 0 { return 0 }
        if gap <= idleTimeout { return gap }
        return gapPolicy == .drop ? 0 : idleTimeout
    }

    /// True when the event name (already known not to start with a built-in prefix) matches an `--exclude` pattern.
    func isExcludedByPattern(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !excludedPatterns.isEmpty else { return false }
        let text = String(decoding: name, as: UTF8.self)
        return excludedPatterns.contains { fnmatch($0, text, 0) == 0 }
    }

    /// True when the event name starts with a built-in excluded prefix.
    @inline(__always)
    static func hasExcludedPrefix(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 11, name[0] == UInt8(ascii: "e"), name[1] == UInt8(ascii: "d"), let p = name.baseAddress
        else { return false }
        return excludedPrefixes.contains { prefix in
            prefix.utf8CodeUnitCount <= name.count && memcmp(p, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
        }
    }
}
