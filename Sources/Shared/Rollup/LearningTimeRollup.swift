#if canImport(Glibc)
import Glibc
#endif

/// The default rule of docs/rollup.md over a whole set of tracking logs: lines are added one by
/// one in any order (files interleave), and ``finish(enterprises:keepUnattributed:)`` sorts each
/// learner's stream in a course by time, sums the gaps per UTC day and gives the table's rows.
public final class LearningTimeRollup {
    public let rule: RollupRule
    // Unchecked exclusivity: the class is used from one thread (its shards are lent to worker
    // threads only inside read(_:threads:)), and the run-time checks of its properties, made for
    // every line, were a twentieth of the run (perf, bench/rollup).
    @exclusivity(unchecked) public private(set) var tally = SkipTally()
    /// Lines read, whatever became of them.
    @exclusivity(unchecked) public private(set) var lines = 0
    /// One per parsing thread; the first also takes ``add(_:at:)``.
    @exclusivity(unchecked) private var shards: [RollupShard]
    /// The buffers ``read(_:threads:)`` reads into, kept from one input to the next.
    private var chunks: [TrackingLogChunk] = []

    public init(rule: RollupRule) {
        self.rule = rule
        shards = [RollupShard(rule: rule)]
    }

    /// Parsing threads worth starting here: one per processor, at most four (reading, one thread at a
    /// time, keeps about that many busy).
    public static var defaultThreads: Int { max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Reads one line; `location` is only evaluated for the first few lines of each skip reason.
    @_optimize(speed)
    public func add(_ line: UnsafeBufferPointer<UInt8>, at location: @autoclosure () -> SourceLocation) {
        lines += 1
        if let reason = shards[0].add(line) { tally.add(reason, at: location()) }
    }

    /// Counts a line the reader could not hand out whole.
    public func skip(_ reason: SkipReason, at location: SourceLocation) {
        lines += 1
        tally.add(reason, at: location)
    }

    /// Reads every line of `reader`, parsing on `threads` threads (1: on this one). The result does
    /// not depend on `threads`: the tests hold the two paths to the same rows and summary.
    public func read(_ reader: TrackingLogReader, threads: Int = LearningTimeRollup.defaultThreads) throws {
        let threads = max(1, threads)
        while shards.count < threads { shards.append(RollupShard(rule: rule)) }
        while chunks.count < threads { chunks.append(TrackingLogChunk()) }
        let pipeline = RollupPipeline(reader: reader, tally: tally)
        defer {
            tally = pipeline.tally
            lines += pipeline.lines
        }
        try pipeline.run(shards: Array(shards.prefix(threads)), chunks: Array(chunks.prefix(threads)))
    }

    /// Sorts the events, drops exact duplicates, sums the gaps and gives the rows sorted by
    /// (user_id, course_key, enterprise_customer_uuid, date), with the UTC days the input covers.
    /// Rows whose day rounds to 0 seconds are left out.
    public func finish(enterprises: EnterpriseEnrollments, keepUnattributed: Bool) -> RollupResult {
        let (courses, streams, events) = mergeShards()
        let totals = dayTotals(events, streams: streams.count)
        // Course keys ranked by their UTF-8 bytes, so rows sort as bytes (and as Python's str) do.
        let courseNames = (0..<courses.count).map { courses.key(UInt32($0)) }
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

    /// The shards' events as one array with one numbering of courses and streams, ordered by stream,
    /// then time, then line hash (so exact duplicates are neighbours): placed by stream first (a
    /// counting sort: streams are numbered densely), then each stream sorted on its own, where the
    /// input's time order makes long runs that the standard sort merges cheaply. Empties the shards.
    @_optimize(speed)
    private func mergeShards() -> (CourseKeys, StreamTable, [RollupEvent]) {
        var courses = CourseKeys()
        var streams = StreamTable()
        // For each shard, its stream numbers in the merged numbering.
        let renumbered = shards.map { shard -> [UInt32] in
            let courseIDs = (0..<shard.parser.courses.count).map { id in
                shard.parser.courses.withKey(UInt32(id)) { courses.id(of: $0) }
            }
            return shard.streams.keys.map { key in
                streams.id(of: StreamKey(user: key.user, course: courseIDs[Int(key.course)]))
            }
        }
        var offsets = [Int](repeating: 0, count: streams.count + 1)
        var total = 0
        for (shard, ids) in zip(shards, renumbered) {
            for e in shard.events { offsets[Int(ids[Int(e.stream)]) + 1] += 1 }
            total += shard.events.count
        }
        for s in 0..<streams.count { offsets[s + 1] += offsets[s] }
        var placed = [RollupEvent](unsafeUninitializedCapacity: total) { out, initialized in
            var next = offsets
            for (shard, ids) in zip(shards, renumbered) {
                for e in shard.events {
                    let s = ids[Int(e.stream)]
                    out.initializeElement(
                        at: next[Int(s)], to: RollupEvent(stream: s, lineHash: e.lineHash, time: e.time))
                    next[Int(s)] += 1
                }
                shard.events = []
            }
            initialized = total
        }
        placed.withUnsafeMutableBufferPointer { all in
            for s in 0..<streams.count where offsets[s + 1] - offsets[s] > 1 {
                var one = UnsafeMutableBufferPointer(rebasing: all[offsets[s]..<offsets[s + 1]])
                one.sort { a, b in a.time != b.time ? a.time < b.time : a.lineHash < b.lineHash }
            }
        }
        return (courses, streams, placed)
    }

    /// Each stream's rounded day totals (over 0 s), by stream number, and the days with any event.
    @_optimize(speed)
    private func dayTotals(_ events: [RollupEvent], streams: Int) -> (
        days: [(day: Int64, seconds: Int64)], ranges: [Range<Int>], coveredDays: [Int64], events: Int
    ) {
        var days: [(day: Int64, seconds: Int64)] = []
        var ranges = [Range<Int>](repeating: 0..<0, count: streams)
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
