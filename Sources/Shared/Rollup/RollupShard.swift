/// One counted event as kept until the end of the input: 16 bytes, never the line.
struct RollupEvent {
    /// The (user, course) stream, by number (the shard's own number until the shards are merged).
    var stream: UInt32
    /// Part of the line's hash, so that an exact duplicate line (same stream, time and bytes)
    /// is told apart from another event at the same microsecond.
    var lineHash: UInt32
    /// Microseconds since the epoch, UTC.
    var time: Int64
}

/// What one parsing thread gathers: its own course keys, stream numbers and events, so that threads
/// share nothing while they parse. ``LearningTimeRollup`` merges the shards at the end; stream and
/// course numbers never reach the output (rows are sorted by user id and course key bytes), so the
/// result does not depend on which thread read which line.
final class RollupShard {
    // Unchecked exclusivity: a shard is used from one thread at a time, and the run-time checks of
    // its properties, made for every line, were a twentieth of the run (perf, bench/rollup).
    @exclusivity(unchecked) var parser: TrackingLineParser
    @exclusivity(unchecked) var events: [RollupEvent] = []
    @exclusivity(unchecked) var streams = StreamTable()

    init(rule: RollupRule) {
        parser = TrackingLineParser(rule: rule)
    }

    /// Reads one line: nil when it gave an event, else why it was skipped.
    @_optimize(speed)
    @inline(__always)
    func add(_ line: UnsafeBufferPointer<UInt8>) -> SkipReason? {
        switch parser.parse(line) {
        case .skipped(let reason):
            return reason
        case .event(let user, let course, let time):
            let id = streams.id(of: StreamKey(user: user, course: course))
            let h = LineHash.of(line)
            events.append(RollupEvent(stream: id, lineHash: UInt32(truncatingIfNeeded: h ^ (h >> 32)), time: time))
            return nil
        }
    }

    /// Reads every line of `chunk`, counting what was skipped in `tally`.
    @_optimize(speed)
    func add(_ chunk: TrackingLogChunk, maxLineLength: Int, into tally: inout ChunkTally) {
        if chunk.isTooLong {
            tally.add(.tooLong, line: 1)
            tally.lines = 1
            return
        }
        chunk.forEachLine(maxLineLength: maxLineLength) { line, number in
            switch line {
            case .line(let bytes):
                if let reason = add(bytes) { tally.add(reason, line: number) }
            case .tooLong:
                tally.add(.tooLong, line: number)
            }
        }
        tally.lines = chunk.lineCount
    }
}

/// The skipped lines of one chunk, with line numbers counted from the chunk's start: a chunk's
/// first line number is known only once the chunks before it are counted, which another thread
/// may still be doing. ``SkipTally/add(_:startingAt:source:)`` puts them in place.
struct ChunkTally {
    var lines = 0
    var counts = [Int](repeating: 0, count: SkipReason.allCases.count)
    /// The first few skipped lines of each reason (as many as a ``SkipTally`` keeps).
    var firstLines = [[Int]](repeating: [], count: SkipReason.allCases.count)

    @inline(__always)
    mutating func add(_ reason: SkipReason, line: Int) {
        counts[reason.rawValue] += 1
        if firstLines[reason.rawValue].count < SkipTally.defaultLocationsKept {
            firstLines[reason.rawValue].append(line)
        }
    }
}

extension SkipTally {
    /// Adds a chunk's skips, its first line being line `first` of `source`.
    mutating func add(_ chunk: ChunkTally, startingAt first: Int, source: String) {
        for reason in SkipReason.allCases where chunk.counts[reason.rawValue] > 0 {
            add(
                reason, count: chunk.counts[reason.rawValue],
                at: chunk.firstLines[reason.rawValue].map { SourceLocation(source: source, line: first + $0 - 1) })
        }
    }
}
