/// Builds the record that stands in for a line a tool could not handle.
///
/// It carries what went wrong, where (tool, source and line number) and the original text, so
/// the line flows on to lt-send's results and dead-letter file instead of being dropped.
public enum ErrorRecord {
    public static func make(
        tool: String, location: SourceLocation, error: LTError, line: InputLine,
        id: String? = nil, integration: String? = nil, into out: inout JSONBuffer
    ) {
        out.beginObject()
        out.member("id", id)
        out.member("integration", integration)
        out.key("error")
        out.beginObject()
        out.key("tool"); out.string(tool)
        out.key("source"); out.string(location.source)
        out.key("line"); out.int(location.line)
        out.key("message"); out.string(error.message)
        if !error.hint.isEmpty { out.key("hint"); out.string(error.hint) }
        out.endObject()
        out.key("input"); out.string(String(decoding: line.bytes, as: UTF8.self))
        if let total = line.truncatedFrom { out.key("input_truncated_from"); out.int(total) }
        out.endObject()
    }

    /// The `error.message` of an error record, for results and logs.
    public static func message(of envelope: Envelope) -> String {
        guard let e = envelope.error else { return "" }
        let s = envelope.json
        var parts: [String] = []
        if s.kind(at: e.valueStart) == .object, let members = try? s.members(ofObjectAt: e.valueStart) {
            var tool = ""
            var origin = ""
            var message = ""
            var line = ""
            for m in members {
                if s.key(of: m, equals: "tool"), let v = s.string(m) { tool = v }
                if s.key(of: m, equals: "source"), let v = s.string(m) { origin = v }
                if s.key(of: m, equals: "line"), s.kind(at: m.valueStart) == .number { line = s.text(m.value) }
                if s.key(of: m, equals: "message"), let v = s.string(m) { message = v }
            }
            if !tool.isEmpty { parts.append(tool) }
            if !origin.isEmpty { parts.append("at \(origin):\(line)") }
            return parts.isEmpty ? message : "\(parts.joined(separator: " ")): \(message)"
        }
        return s.string(e) ?? s.text(e.value)
    }
}
