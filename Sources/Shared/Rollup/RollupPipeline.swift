#if canImport(Glibc)
import Glibc
#endif

/// Parses one tracking log on several threads, each with its own chunk buffer and
/// ``RollupShard``: a thread takes the reader (under a lock), reads the next chunk of whole lines
/// into its buffer, lets the reader go and parses the chunk while another thread reads. The
/// per-chunk skip counts come back in any order and are added to the tally in input order, so the
/// summary's first locations and line numbers are those a single thread gives.
///
/// Why each thread reads for itself rather than one reader thread feeding the others: the kernel's
/// copy into a buffer that the other processor core parsed last cost twice as much (its cache lines
/// had to move over first), about a seventh of the run (perf, bench/rollup).
///
/// Memory is bounded by the buffers: one chunk per thread.
final class RollupPipeline: @unchecked Sendable {
    // @unchecked Sendable: the reader is used under `reading` only; the tally, the line count and
    // the failure under `counting` only; each shard and chunk belongs to one thread until the
    // threads are joined.
    private let reading = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let counting = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var nextRead = 0
    private var failure: TrackingLogReader.ReadFailure?
    /// Tallies of chunks parsed ahead of an earlier one, by sequence number.
    private var waiting: [Int: ChunkTally] = [:]
    private var nextCounted = 0
    private(set) var tally: SkipTally
    /// Lines of the input counted so far (in input order).
    private(set) var lines = 0
    private let reader: TrackingLogReader

    /// `tally` is added to.
    init(reader: TrackingLogReader, tally: SkipTally) {
        self.reader = reader
        self.tally = tally
        pthread_mutex_init(reading, nil)
        pthread_mutex_init(counting, nil)
    }

    deinit {
        pthread_mutex_destroy(reading)
        pthread_mutex_destroy(counting)
        reading.deallocate()
        counting.deallocate()
    }

    /// Reads all of the input, on this thread and one more thread per further shard (`chunks` has
    /// one buffer per shard); returns when every line is counted. A read error is thrown once the
    /// lines before it are counted, with the line it stopped at.
    func run(shards: [RollupShard], chunks: [TrackingLogChunk]) throws {
        let others = zip(shards, chunks).dropFirst().compactMap { shard, chunk in
            WorkerThread.start { [self] in work(shard, chunk) }
        }
        work(shards[0], chunks[0])
        for t in others { t.join() }
        if let failure { throw failure.error(atLine: lines + 1) }
    }

    private func work(_ shard: RollupShard, _ chunk: TrackingLogChunk) {
        while true {
            pthread_mutex_lock(reading)
            let sequence = nextRead
            var more = false
            if failure == nil {
                do {
                    more = try reader.read(into: chunk)
                } catch {
                    failure = error
                }
            }
            nextRead += 1
            pthread_mutex_unlock(reading)
            guard more else { return }
            var t = ChunkTally()
            shard.add(chunk, maxLineLength: reader.maxLineLength, into: &t)
            pthread_mutex_lock(counting)
            done(sequence, t)
            pthread_mutex_unlock(counting)
        }
    }

    /// Adds the tallies of every chunk now complete in input order (under `counting`).
    private func done(_ sequence: Int, _ t: ChunkTally) {
        waiting[sequence] = t
        while let t = waiting.removeValue(forKey: nextCounted) {
            tally.add(t, startingAt: lines + 1, source: reader.sourceName)
            lines += t.lines
            nextCounted += 1
        }
    }
}

/// A POSIX thread running one closure, joined by its starter.
struct WorkerThread {
    private let thread: pthread_t

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; nil when the system would not start one.
    static func start(_ body: @escaping () -> Void) -> WorkerThread? {
        let box = Unmanaged.passRetained(Body(body))
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { p in
                Unmanaged<Body>.fromOpaque(p!).takeRetainedValue().run()
                return nil
            }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            return nil
        }
        return WorkerThread(thread: thread)
    }

    func join() { pthread_join(thread, nil) }
}
