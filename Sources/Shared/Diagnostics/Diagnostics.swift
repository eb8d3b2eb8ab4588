import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The one place diagnostics go through, in three parts: a log sink (``LogSink``, shaped like
/// swift-log's `LogHandler`; ``StreamLogSink`` writes `lt-query: error (at <stdin>:17): …` or JSON
/// records to standard error), the run's status (``RunStatus``: failed or not, errors and warnings
/// counted) and the command line's progress hooks (``ProgressHooks``). This type is the policy
/// between them, and what every tool calls.
///
/// Errors set a sticky failure flag, so a tool reports and continues, and its exit status at
/// the end says whether every line succeeded. Every registered secret is masked in everything
/// written here, whatever its origin. Unless the level asks for every record (`--verbose`, or
/// `--log-level info` or `debug`), the same warning or error repeated is shown a few times, then
/// counted, and the counts are written at the end (``reportRepeats()``), so a run over a million
/// bad lines stays readable.
public final class Diagnostics {
    public let tool: String
    /// Where records go.
    public let sink: any LogSink
    /// The sink when it is the standard one, whose format the command line sets.
    private let stream: StreamLogSink?
    public private(set) var status = RunStatus()
    /// The live progress line and the periodic report; the progress line is cleared before anything is written.
    public var hooks = ProgressHooks()
    /// How many records of one kind are shown before the rest are only counted.
    public var repeatsShown = 5
    private var said: Set<String> = []
    /// The run's secrets, masked in everything written here (and, through ``MaskedText``, in
    /// everything lt-send writes that came from outside).
    public let secrets: SecretSet
    private var repeats: [String: Repeat] = [:]
    /// Records not shown whose kind found no room in `repeats` (bounded against hostile input).
    private var overflow = 0
    private var toldAboutRepeats = false
    private static let maxKinds = 1000

    private struct Repeat {
        var level: DiagnosticLevel
        var message: String
        var count: Int
    }

    /// Records at `threshold` and above, written to `fd` (standard error).
    public convenience init(tool: String, threshold: DiagnosticLevel = .warning, fd: Int32 = 2) {
        let secrets = SecretSet()
        self.init(
            tool: tool, sink: StreamLogSink(tool: tool, level: threshold, fd: fd, secrets: secrets), secrets: secrets)
    }

    /// Records given to `sink`, which should mask `secrets` in what it writes.
    public init(tool: String, sink: any LogSink, secrets: SecretSet) {
        self.tool = tool
        self.sink = sink
        self.secrets = secrets
        stream = sink as? StreamLogSink
        stream?.beforeWrite = { [unowned self] in self.hooks.line?.clear() }
    }

    public var threshold: DiagnosticLevel {
        get { sink.logLevel }
        set { sink.logLevel = newValue }
    }

    /// `--log-format`; only the standard sink has a format.
    public var format: LogFormat {
        get { stream?.format ?? .human }
        set { stream?.format = newValue }
    }

    public var hasFailed: Bool { status.hasFailed }
    public var errorCount: Int { status.errorCount }
    public var warningCount: Int { status.warningCount }

    /// Masks `secret` as `***` in every later message (``SecretSet/add(_:)``).
    public func redact(_ secret: String) { secrets.add(secret) }

    /// Reports an error and marks the run as failed.
    public func error(
        _ message: String, hint: String = "", at location: SourceLocation? = nil,
        context: @autoclosure () -> LogContext = [:]
    ) {
        status.error()
        emit(.error, message, hint: hint, at: location, context: context)
    }

    /// Reports `error` (its message and hint apart) and marks the run as failed.
    public func error(
        _ error: LTError, at location: SourceLocation? = nil, context: @autoclosure () -> LogContext = [:]
    ) {
        self.error(error.message, hint: error.hint, at: location, context: context())
    }

    public func warning(
        _ message: String, hint: String = "", at location: SourceLocation? = nil,
        context: @autoclosure () -> LogContext = [:]
    ) {
        status.warning()
        emit(.warning, message, hint: hint, at: location, context: context)
    }

    public func info(
        _ message: String, at location: SourceLocation? = nil, context: @autoclosure () -> LogContext = [:]
    ) {
        emit(.info, message, hint: "", at: location, context: context)
    }

    public func debug(
        _ message: String, at location: SourceLocation? = nil, context: @autoclosure () -> LogContext = [:]
    ) {
        emit(.debug, message, hint: "", at: location, context: context)
    }

    /// True when messages of `level` are written, so callers can skip building costly ones.
    public func isOn(_ level: DiagnosticLevel) -> Bool { level >= threshold }

    /// Says `message` only the first time `key` is seen in this run.
    public func warnOnce(_ key: String, _ message: String) {
        guard said.insert(key).inserted else { return }
        warning(message)
    }

    /// Marks the run as failed without printing anything, for lines whose error an upstream tool already reported.
    public func markFailed() { status.markFailed() }

    /// Writes a block to stderr as it is (for `--stats` and the like), without a level.
    public func raw(_ text: String) { sink.write(raw: text) }

    /// Writes how many records of each repeated kind were counted and not shown; called at the end of a run.
    public func reportRepeats() {
        for r in repeats.values.sorted(by: { $0.message < $1.message }) where r.count > repeatsShown {
            let hidden = r.count - repeatsShown
            sink.log(
                level: r.level, message: "\(hidden) more like \"\(r.message)\" not shown",
                hint: "pass --verbose to see each one", source: nil, metadata: ["repeated": .int(Int64(hidden))])
        }
        if overflow > 0 {
            sink.log(
                level: .warning, message: "\(overflow) more warnings and errors of other kinds not shown",
                hint: "pass --verbose to see each one", source: nil, metadata: ["repeated": .int(Int64(overflow))])
        }
        repeats.removeAll()
        overflow = 0
    }

    /// `context` is built only for a record that is written: most repeats are counted, not shown.
    private func emit(
        _ level: DiagnosticLevel, _ message: String, hint: String, at location: SourceLocation?,
        context: () -> LogContext
    ) {
        guard level >= threshold else { return }
        if level >= .warning && threshold >= .warning && !shouldShow(level, message) { return }
        sink.log(level: level, message: message, hint: hint, source: location, metadata: context())
    }

    /// Counts a warning or error by its kind (its text with each run of digits blanked); false once that kind
    /// was shown enough.
    private func shouldShow(_ level: DiagnosticLevel, _ message: String) -> Bool {
        // Bytes, not Characters: this runs for every warning of a long run, shown or not.
        var bytes = Array("\(level.rawValue)".utf8)
        for c in message.utf8.prefix(200) {
            let digit = c &- UInt8(ascii: "0") < 10
            if digit && bytes.last == UInt8(ascii: "#") { continue }
            bytes.append(digit ? UInt8(ascii: "#") : c)
        }
        let kind = String(decoding: bytes, as: UTF8.self)
        if repeats[kind] == nil {
            guard repeats.count < Diagnostics.maxKinds else { overflow += 1; return false }
            repeats[kind] = Repeat(level: level, message: message, count: 0)
        }
        repeats[kind]!.count += 1
        let n = repeats[kind]!.count
        if n == repeatsShown + 1 && !toldAboutRepeats {
            toldAboutRepeats = true
            sink.log(
                level: .info,
                message: "a problem seen \(repeatsShown) times is counted from now on, not shown; "
                    + "the counts come at the end", hint: "", source: nil, metadata: [:])
        }
        return n <= repeatsShown
    }
}
