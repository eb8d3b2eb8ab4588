#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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

/// The one place diagnostics go through: every message is prefixed with the tool's name and,
/// when it concerns an input line, its location (`lt-query: error (at <stdin>:17): …`).
///
/// Errors set a sticky failure flag, so a tool reports and continues, and its exit status at
/// the end says whether every line succeeded.
public final class Diagnostics {
    public let tool: String
    public var threshold: DiagnosticLevel
    public private(set) var hasFailed = false
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0
    private var said: Set<String> = []
    private let fd: Int32

    public init(tool: String, threshold: DiagnosticLevel = .warning, fd: Int32 = 2) {
        self.tool = tool
        self.threshold = threshold
        self.fd = fd
    }

    /// Reports an error and marks the run as failed.
    public func error(_ message: String, at location: SourceLocation? = nil) {
        hasFailed = true
        errorCount += 1
        emit(.error, message, at: location)
    }

    public func warning(_ message: String, at location: SourceLocation? = nil) {
        warningCount += 1
        emit(.warning, message, at: location)
    }

    public func info(_ message: String, at location: SourceLocation? = nil) {
        emit(.info, message, at: location)
    }

    /// Says `message` only the first time `key` is seen in this run.
    public func warnOnce(_ key: String, _ message: String) {
        guard said.insert(key).inserted else { return }
        warning(message)
    }

    /// Marks the run as failed without printing anything, for lines whose error an upstream tool already reported.
    public func markFailed() { hasFailed = true }

    /// Writes a line to stderr as it is (for `--stats` and the like), without a level.
    public func raw(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n")
    }

    private func emit(_ level: DiagnosticLevel, _ message: String, at location: SourceLocation?) {
        guard level >= threshold else { return }
        var text = "\(tool): \(level.name)"
        if let location { text += " (at \(location))" }
        text += ": \(message)\n"
        write(text)
    }

    private func write(_ text: String) {
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
