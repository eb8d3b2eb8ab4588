import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The one place diagnostics go through: every message is prefixed with the tool's name and,
/// when it concerns an input line, its location (`lt-query: error (at <stdin>:17): …`), or, with
/// `--log-format json`, written as `{"timestamp", "level", "logger", "message", "hint", "source",
/// "line", "context": {…}}`.
///
/// Errors set a sticky failure flag, so a tool reports and continues, and its exit status at
/// the end says whether every line succeeded. Every registered secret is masked in everything
/// written here, whatever its origin. Unless the level asks for every record (`--verbose`, or
/// `--log-level info` or `debug`), the same warning or error repeated is shown a few times, then
/// counted, and the counts are written at the end (``reportRepeats()``), so a run over a million
/// bad lines stays readable.
public final class Diagnostics {
    public let tool: String
    public var threshold: DiagnosticLevel
    public var format: LogFormat = .human
    public private(set) var hasFailed = false
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0
    /// The live progress line, when stderr is a terminal; cleared before anything is written.
    public var progress: ProgressLine?
    /// Periodic `--stats` summaries (`--stats-interval`).
    public var periodic: PeriodicReport?
    /// How many records of one kind are shown before the rest are only counted.
    public var repeatsShown = 5
    private var said: Set<String> = []
    private var secrets: [String] = []
    private let fd: Int32
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

    public init(tool: String, threshold: DiagnosticLevel = .warning, fd: Int32 = 2) {
        self.tool = tool
        self.threshold = threshold
        self.fd = fd
    }

    /// Masks `secret` as `***` in every later message. Short values are ignored: masking them would garble text.
    public func redact(_ secret: String) {
        if secret.count >= 6 && !secrets.contains(secret) { secrets.append(secret) }
    }

    /// Reports an error and marks the run as failed.
    public func error(
        _ message: String, hint: String = "", at location: SourceLocation? = nil,
        context: @autoclosure () -> LogContext = [:]
    ) {
        hasFailed = true
        errorCount += 1
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
        warningCount += 1
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
    public func markFailed() { hasFailed = true }

    /// Writes a block to stderr as it is (for `--stats` and the like), without a level.
    public func raw(_ text: String) {
        write(mask(text.hasSuffix("\n") ? text : text + "\n"))
    }

    /// Writes how many records of each repeated kind were counted and not shown; called at the end of a run.
    public func reportRepeats() {
        for r in repeats.values.sorted(by: { $0.message < $1.message }) where r.count > repeatsShown {
            let hidden = r.count - repeatsShown
            write(
                record(
                    r.level, "\(hidden) more like \"\(r.message)\" not shown", hint: "pass --verbose to see each one",
                    at: nil, context: ["repeated": .int(Int64(hidden))]))
        }
        if overflow > 0 {
            write(
                record(
                    .warning, "\(overflow) more warnings and errors of other kinds not shown",
                    hint: "pass --verbose to see each one", at: nil, context: ["repeated": .int(Int64(overflow))]))
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
        write(record(level, message, hint: hint, at: location, context: context()))
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
            write(
                record(
                    .info,
                    "a problem seen \(repeatsShown) times is counted from now on, not shown; "
                        + "the counts come at the end", hint: "", at: nil, context: [:]))
        }
        return n <= repeatsShown
    }

    private func record(
        _ level: DiagnosticLevel, _ message: String, hint: String, at location: SourceLocation?,
        context: LogContext
    ) -> String {
        switch format {
        case .human:
            var text = "\(tool): \(level.name)"
            if let location { text += " (at \(location))" }
            text += ": \(message)"
            if !hint.isEmpty { text += "; \(hint)" }
            if !context.isEmpty {
                text +=
                    " ("
                    + context.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\(Diagnostics.text($0.value))" }
                    .joined(separator: " ") + ")"
            }
            // One line whatever the message quotes from outside (an id, a partner's answer, a path).
            return mask(TerminalText.escape(text, backslashes: false) + "\n")
        case .json:
            var json = JSONBuffer(capacity: 256)
            json.beginObject()
            json.key("timestamp"); json.string(Timestamps.iso8601(Timestamps.now()))
            json.key("level"); json.string(level.name.uppercased())
            json.key("logger"); json.string(tool)
            json.key("message"); json.string(message)
            if !hint.isEmpty { json.key("hint"); json.string(hint) }
            if let location {
                json.key("source"); json.string(location.source)
                json.key("line"); json.int(location.line)
            }
            if !context.isEmpty {
                json.key("context"); json.beginObject()
                for (k, v) in context.sorted(by: { $0.key < $1.key }) {
                    json.key(k)
                    switch v {
                    case .string(let s): json.string(s)
                    case .int(let i): json.int(Int(i))
                    case .double(let d): json.double(d)
                    }
                }
                json.endObject()
            }
            json.endObject()
            return mask(String(decoding: json.bytes, as: UTF8.self) + "\n")
        }
    }

    private static func text(_ v: LogValue) -> String {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        }
    }

    private func mask(_ text: String) -> String {
        var text = text
        for s in secrets where text.contains(s) { text = text.replacing(s, with: "***") }
        return text
    }

    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        progress?.clear()
        var text = text
        text.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}
