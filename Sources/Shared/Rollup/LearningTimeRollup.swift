/// One counted event as kept until the end of the input: 16 bytes, never the line.
struct RollupEvent {
    /// The (user, course) stream, by number.
    var stream: UInt32
    /// Part of the line's hash, so that an exact duplicate line (same stream, time and bytes)
    /// is told apart from another event at the same microsecond.
    var lineHash: UInt32
    /// Microseconds since the epoch, UTC.
    var time: Int64
}

/// The default rule of docs/rollup.md over a whole set of tracking logs: lines are added one by
/// one in any order (files interleave), and ``finish(enterprises:keepUnattributed:)`` sorts each
/// learner's stream in a course by time, sums the gaps per UTC day and gives the table's rows.
public final class LearningTimeRollup {
    // Unchecked exclusivity: the class is used from one thread, and the run-time checks of its
    // properties, made for every line, were a twentieth of the run (perf, bench/rollup).
    @exclusivity(unchecked) public private(set) var parser: TrackingLineParser
    @exclusivity(unchecked) public private(set) var tally = SkipTally()
    /// Lines read, whatever became of them.
    @exclusivity(unchecked) public private(set) var lines = 0
    @exclusivity(unchecked) private var events: [RollupEvent] = []
    @exclusivity(unchecked) private var streams = StreamTable()

    public init(rule: RollupRule) {
        parser = TrackingLineParser(rule: rule)
    }

    public var rule: RollupRule { parser.rule }

    /// Reads one line; `location` is only evaluated for the first few lines of each skip reason.
    @_optimize(speed)
    public func add(_ line: UnsafeBufferPointer<UInt8>, at location: @autoclosure () -> SourceLocation) {
        lines += 1
        switch parser.parse(line) {
        case .skipped(let reason):
            tally.add(reason, at: location())
        case .event(let user, let course, let time):
            let id = streams.id(of: StreamKey(user: user, course: course))
            let h = LineHash.of(line)
            events.append(RollupEvent(stream: id, lineHash: UInt32(truncatingIfNeeded: h ^ (h >> 32)), time: time))
        }
    }

    /// Counts a line the reader could not hand out whole.
    public func skip(_ reason: SkipReason, at location: SourceLocation) {
        lines += 1
        tally.add(reason, at: location)
    }

    /// Sorts the events, drops exact duplicates, sums the gaps and gives the rows sorted by
    /// (user_id, course_key, enterprise_customer_uuid, date), with the UTC days the input covers.
    /// Rows whose day rounds to 0 seconds are left out.
    public func finish(enterprises: EnterpriseEnrollments, keepUnattributed: Bool) -> RollupResult {
        sortEvents()
        let totals = dayTotals()
        // Course keys ranked by their UTF-8 bytes, so rows sort as bytes (and as Python's str) do.
        let courseNames = (0..<parser.courses.count).map { parser.courses.key(UInt32($0)) }
        var courseRank = [Int](repeating: 0, count: courseNames.count)
        for (rank, id) in courseNames.indices.sorted(by: {
            courseNames[$0].utf8.lexicographicallyPrecedes(courseNames[$1].utf8)
        }).enumerated() {
            courseRank[id] = rank
        }
        let keys = streams.keys
        let order = keys.indices.sorted { a, b in
            let x = keys[a]
            let y = keys[b]
            return x.user != y.user ? x.user < y.user : courseRank[Int(x.course)] < courseRank[Int(y.course)]
        }
        var result = RollupResult()
        result.days = totals.coveredDays
        result.events = totals.events
        result.streams = streams.count
        for s in order {
            let range = totals.ranges[s]
            guard !range.isEmpty else { continue }
            let key = keys[s]
            let course = courseNames[Int(key.course)]
            var owners = enterprises.enterprises(user: key.user, course: course)
            if owners.isEmpty {
                guard keepUnattributed else {
                    result.unattributedRows += range.count
                    continue
                }
                owners = [""]
            }
            for owner in owners {
                for t in totals.days[range] {
                    result.rows.append(
                        RollupRow(user: key.user, course: course, enterprise: owner, day: t.day, seconds: t.seconds))
                }
            }
        }
        return result
    }

    /// Events by stream, then time, then line hash (so exact duplicates are neighbours): placed by
    /// stream first (a counting sort: streams are numbered densely), then each stream sorted on its
    /// own, where the input's time order makes long runs that the standard sort merges cheaply.
    @_optimize(speed)
    private func sortEvents() {
        var offsets = [Int](repeating: 0, count: streams.count + 1)
        for e in events { offsets[Int(e.stream) + 1] += 1 }
        for s in 0..<streams.count { offsets[s + 1] += offsets[s] }
        var placed = [RollupEvent](unsafeUninitializedCapacity: events.count) { out, initialized in
            var next = offsets
            for e in events {
                out.initializeElement(at: next[Int(e.stream)], to: e)
                next[Int(e.stream)] += 1
            }
            initialized = events.count
        }
        events = []
        placed.withUnsafeMutableBufferPointer { all in
            for s in 0..<streams.count where offsets[s + 1] - offsets[s] > 1 {
                var one = UnsafeMutableBufferPointer(rebasing: all[offsets[s]..<offsets[s + 1]])
                one.sort { a, b in a.time != b.time ? a.time < b.time : a.lineHash < b.lineHash }
            }
        }
        events = placed
    }

    /// Each stream's rounded day totals (over 0 s), by stream number, and the days with any event.
    @_optimize(speed)
    private func dayTotals() -> (
        days: [(day: Int64, seconds: Int64)], ranges: [Range<Int>], coveredDays: [Int64], events: Int
    ) {
        var days: [(day: Int64, seconds: Int64)] = []
        var ranges = [Range<Int>](repeating: 0..<0, count: streams.count)
        var covered = Set<Int64>()
        var lastCoveredDay = Int64.min
        var counted = 0
        // The current stream's days, in order, in microseconds.
        var current: [(day: Int64, micros: Int64)] = []
        let rule = self.rule

        func flush(_ stream: Int) {
            let start = days.count
            for d in current {
                // Half away from zero; totals are never negative.
                let seconds = (d.micros + EventTime.microsecondsPerSecond / 2) / EventTime.microsecondsPerSecond
                if seconds > 0 { days.append((d.day, seconds)) }
            }
            ranges[stream] = start..<days.count
            current.removeAll(keepingCapacity: true)
        }
        func add(from start: Int64, _ amount: Int64) {
            var at = start
            var left = amount
            while left > 0 {
                let day = EventTime.day(of: at)
                let part = min(left, (day + 1) * EventTime.microsecondsPerDay - at)
                if let last = current.last, last.day == day {
                    current[current.count - 1].micros += part
                } else {
                    current.append((day, part))
                }
                at += part
                left -= part
            }
        }

        var previous: RollupEvent?
        for e in events {
            if let p = previous, p.stream == e.stream {
                if p.time == e.time && p.lineHash == e.lineHash {
                    tally.add(.duplicate, at: nil)
                    continue
                }
                add(from: p.time, rule.counted(gap: e.time - p.time))
            } else if let p = previous {
                flush(Int(p.stream))
            }
            previous = e
            counted += 1
            let day = EventTime.day(of: e.time)
            if day != lastCoveredDay {
                covered.insert(day)
                lastCoveredDay = day
            }
        }
        if let p = previous { flush(Int(p.stream)) }
        return (days, ranges, covered.sorted(), counted)
    }
}

/// What a rollup gives: the table's rows in key order, and what the input covered.
public struct RollupResult: Sendable {
    public var rows: [RollupRow] = []
    /// The UTC days with at least one counted event: the days a warehouse run replaces.
    public var days: [Int64] = []
    /// Events counted (duplicates removed) and (user, course) streams.
    public var events = 0
    public var streams = 0
    /// Day rows left out because the learner has no enterprise for the course.
    public var unattributedRows = 0
}

/// One row of the LEARNING_TIME table.
public struct RollupRow: Sendable, Equatable {
    public var user: Int64
    public var course: String
    /// The enterprise customer UUID, lower case with dashes; empty for an unattributed row.
    public var enterprise: String
    /// The UTC day, as days since 1970-01-01.
    public var day: Int64
    public var seconds: Int64

    public init(user: Int64, course: String, enterprise: String, day: Int64, seconds: Int64) {
        self.user = user
        self.course = course
        self.enterprise = enterprise
        self.day = day
        self.seconds = seconds
    }

    /// The day as `YYYY-MM-DD`.
    public var date: String { EventTime.dateText(day: day) }
}
