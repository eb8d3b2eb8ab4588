/// Why a tracking-log line gave no event to count. The first four are malformed lines: `--strict`
/// makes them fail the run. The others are normal in real logs and only counted.
public enum SkipReason: Int, CaseIterable, Sendable {
    /// Not a JSON object after the first `{`, cut short, or no `{` at all.
    case notJSON
    /// Longer than the reader's limit.
    case tooLong
    /// No `time` member.
    case noTime
    /// A `time` that is not a string in the ISO 8601 form the LMS writes.
    case badTime
    /// Blank, or a comment (`#` first).
    case blank
    /// `event_source` "task", or an excluded event name (built-in prefixes and `--exclude`).
    case notLearnerActivity
    /// No integer user id in `context.user_id` or `event.user_id`.
    case noUser
    /// No course (an empty or missing `context.course_id`, and none taken from the URL).
    case noCourse
    /// A course key over 255 bytes, more than the table's COURSE_KEY column holds.
    case courseKeyTooLong
    /// The same line seen before (log shipping retries); counted once.
    case duplicate

    /// True for lines that are broken rather than merely not counted.
    public var isMalformed: Bool { self == .notJSON || self == .tooLong || self == .noTime || self == .badTime }

    /// How the summary names the reason.
    public var label: String {
        switch self {
        case .notJSON: "not a JSON object"
        case .tooLong: "longer than the line limit"
        case .noTime: "no time"
        case .badTime: "unreadable time"
        case .blank: "blank or comment"
        case .notLearnerActivity: "not learner activity"
        case .noUser: "no user"
        case .noCourse: "no course"
        case .courseKeyTooLong: "course key over 255 bytes"
        case .duplicate: "exact duplicate"
        }
    }
}

/// Counts of skipped lines by reason, with the first few locations of each, for the summary.
public struct SkipTally: Sendable {
    public private(set) var counts = [Int](repeating: 0, count: SkipReason.allCases.count)
    public private(set) var locations = [[SourceLocation]](repeating: [], count: SkipReason.allCases.count)
    /// How many locations of each reason are kept.
    public var locationsKept = SkipTally.defaultLocationsKept
    public static let defaultLocationsKept = 3

    public init() {}

    public mutating func add(_ reason: SkipReason, at location: @autoclosure () -> SourceLocation?) {
        counts[reason.rawValue] += 1
        if locations[reason.rawValue].count < locationsKept, let l = location() {
            locations[reason.rawValue].append(l)
        }
    }

    /// Adds `count` lines skipped for `reason`, the first of them at `locations`, in input order.
    public mutating func add(_ reason: SkipReason, count: Int, at locations: [SourceLocation]) {
        counts[reason.rawValue] += count
        let room = locationsKept - self.locations[reason.rawValue].count
        if room > 0 { self.locations[reason.rawValue] += locations.prefix(room) }
    }

    public subscript(reason: SkipReason) -> Int { counts[reason.rawValue] }

    /// Lines that were broken (``SkipReason/isMalformed``).
    public var malformed: Int { SkipReason.allCases.filter(\.isMalformed).reduce(0) { $0 + self[$1] } }

    /// One line per reason met: `3 not a JSON object (first at a.log:3, a.log:9, b.log:1)`.
    public var lines: [String] {
        SkipReason.allCases.compactMap { r in
            let n = self[r]
            guard n > 0 else { return nil }
            let at = locations[r.rawValue]
            return at.isEmpty
                ? "\(n) \(r.label)" : "\(n) \(r.label) (first at \(at.map(\.description).joined(separator: ", ")))"
        }
    }
}
