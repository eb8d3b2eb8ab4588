/// The output formats of lt-rollup.
public enum RollupFormat: String, CaseIterable, Sendable {
    /// One JSON object per row: `{"user_id", "course_key", "enterprise_customer_uuid", "date", "learning_time_seconds"}`.
    case ndjson
    /// RFC 4180 CSV with a header, the same columns.
    case csv
}

/// Writes rollup rows to standard output (or any ``OutputWriter``) in one of the ``RollupFormat``s.
public struct RollupRowWriter {
    public let format: RollupFormat
    public let output: OutputWriter

    public init(format: RollupFormat, output: OutputWriter) {
        self.format = format
        self.output = output
    }

    public func write(_ rows: [RollupRow]) throws {
        if format == .csv {
            try output.write("user_id,course_key,enterprise_customer_uuid,date,learning_time_seconds")
            try output.endLine()
        }
        var line = JSONBuffer(capacity: 160)
        var csv: [UInt8] = []
        for r in rows {
            switch format {
            case .ndjson:
                line.removeAll()
                line.beginObject()
                line.member("user_id", r.user)
                line.member("course_key", r.course)
                line.member("enterprise_customer_uuid", r.enterprise)
                line.member("date", r.date)
                line.member("learning_time_seconds", r.seconds)
                line.endObject()
                try output.write(line.bytes)
            case .csv:
                csv.removeAll(keepingCapacity: true)
                csv.append(contentsOf: String(r.user).utf8)
                csv.append(UInt8(ascii: ","))
                Self.appendCSVField(r.course, to: &csv)
                csv.append(UInt8(ascii: ","))
                Self.appendCSVField(r.enterprise, to: &csv)
                csv.append(UInt8(ascii: ","))
                csv.append(contentsOf: r.date.utf8)
                csv.append(UInt8(ascii: ","))
                csv.append(contentsOf: String(r.seconds).utf8)
                try output.write(csv)
            }
            try output.endLine()
        }
        try output.flush()
    }

    /// A field as is, or in quotes with `""` for quotes when it holds a comma, quote or line break.
    static func appendCSVField(_ s: String, to out: inout [UInt8]) {
        let needsQuotes = s.utf8.contains {
            $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D
        }
        guard needsQuotes else { return out.append(contentsOf: s.utf8) }
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            if c == UInt8(ascii: "\"") { out.append(c) }
            out.append(c)
        }
        out.append(UInt8(ascii: "\""))
    }
}
