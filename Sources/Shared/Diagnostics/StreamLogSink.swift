import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The log sink every tool uses: records written to a descriptor (standard error), one line each,
/// as `lt-query: error (at <stdin>:17): …` or, with `--log-format json`, as `{"timestamp",
/// "level", "logger", "message", "hint", "source", "line", "context": {…}}`. Every secret of the
/// run is masked in everything written, and control characters in human lines are escaped, so a
/// record is one line whatever it quotes from outside.
public final class StreamLogSink: LogSink {
    public var logLevel: DiagnosticLevel
    public var format: LogFormat = .human
    /// Called before anything is written (the progress line clears itself).
    var beforeWrite: (() -> Void)?
    private let tool: String
    private let fd: Int32
    private let secrets: SecretSet

    public init(tool: String, level: DiagnosticLevel, fd: Int32 = 2, secrets: SecretSet) {
        self.tool = tool
        logLevel = level
        self.fd = fd
        self.secrets = secrets
    }

    public func log(
        level: DiagnosticLevel, message: String, hint: String, source: SourceLocation?, metadata: LogContext
    ) {
        write(record(level, message, hint: hint, at: source, context: metadata))
    }

    public func write(raw text: String) {
        write(mask(text.hasSuffix("\n") ? text : text + "\n"))
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
                    + context.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\(Self.text($0.value))" }
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

    private func mask(_ text: String) -> String { secrets.mask(own: text) }

    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        beforeWrite?()
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
