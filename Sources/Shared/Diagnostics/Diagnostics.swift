import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Where a line came from: the input's name (`<stdin>` or a path) and its 1-based line number.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int

    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    public var description: String { "\(source):\(line)" }
}

/// Severity of a diagnostic; ordered so that a threshold filters the less severe.
public enum DiagnosticLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

/// How diagnostics are written: lines for people, or one JSON object per event for log pipelines.
public enum LogFormat: String, Sendable, CaseIterable {
    case human, json
}

/// The one place diagnostics go through: every message is prefixed with the tool's name and,
/// when it concerns an input line, its location (`lt-query: error (at <stdin>:17): …`), or, with
/// `--log-format json`, written as `{"timestamp", "level", "logger", "message", "location", …context}`.
///
/// Errors set a sticky failure flag, so a tool reports and continues, and its exit status at
/// the end says whether every line succeeded. Every registered secret is masked in everything
/// written here, whatever its origin.
public final class Diagnostics {
    public let tool: String
    public var threshold: DiagnosticLevel
    public var format: LogFormat = .human
    public private(set) var hasFailed = false
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0
    /// The live progress line, when stderr is a terminal; cleared before anything is written.
    public var progress: ProgressLine?
    /// Periodic `--stats` summaries (`--stats-interval`), ticked by the line reader.
    public var periodic: PeriodicReport?
    private var said: Set<String> = []
    private var secrets: [String] = []
    private let fd: Int32

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
    public func error(_ message: String, at location: SourceLocation? = nil, context: [String: String] = [:]) {
        hasFailed = true
        errorCount += 1
        emit(.error, message, at: location, context: context)
    }

    public func warning(_ message: String, at location: SourceLocation? = nil, context: [String: String] = [:]) {
        warningCount += 1
        emit(.warning, message, at: location, context: context)
    }

    public func info(_ message: String, at location: SourceLocation? = nil, context: [String: String] = [:]) {
        emit(.info, message, at: location, context: context)
    }

    public func debug(_ message: String, at location: SourceLocation? = nil, context: [String: String] = [:]) {
        emit(.debug, message, at: location, context: context)
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

    private func emit(_ level: DiagnosticLevel, _ message: String, at location: SourceLocation?, context: [String: String]) {
        guard level >= threshold else { return }
        var text: String
        switch format {
        case .human:
            text = "\(tool): \(level.name)"
            if let location { text += " (at \(location))" }
            text += ": \(message)\n"
        case .json:
            var json = JSONBuffer(capacity: 256)
            json.beginObject()
            json.key("timestamp"); json.string(Timestamps.iso8601(Timestamps.now()))
            json.key("level"); json.string(level.name.uppercased())
            json.key("logger"); json.string(tool)
            json.key("message"); json.string(message)
            if let location { json.key("location"); json.string(location.description) }
            for (k, v) in context.sorted(by: { $0.key < $1.key }) { json.key(k); json.string(v) }
            json.endObject()
            text = String(decoding: json.bytes, as: UTF8.self) + "\n"
        }
        write(mask(text))
    }

    private func mask(_ text: String) -> String {
        var text = text
        for s in secrets where text.contains(s) { text = text.replacing(s, with: "***") }
        return text
    }

    private func write(_ text: String) {
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
