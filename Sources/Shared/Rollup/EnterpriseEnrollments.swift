/// Which enterprise each learner's course enrollment belongs to, from `--enterprises FILE`: a CSV
/// `user_id,course_key,enterprise_customer_uuid` with a header (columns in any order, others
/// ignored), as the LMS's enterprise enrollment tables give it (docs/rollup.md has the SQL).
/// UUIDs are kept lower case with dashes; the LMS's MySQL stores them as 32 hex digits.
public struct EnterpriseEnrollments: Sendable {
    private struct Key: Hashable {
        var user: Int64
        var course: String
    }
    private var owners: [Key: [String]] = [:]

    public init() {}

    /// The enterprises of `user` in `course`, sorted; empty when none.
    public func enterprises(user: Int64, course: String) -> [String] {
        owners[Key(user: user, course: course)] ?? []
    }

    public mutating func add(user: Int64, course: String, enterprise: String) {
        let key = Key(user: user, course: course)
        var list = owners[key] ?? []
        guard !list.contains(enterprise) else { return }
        list.append(enterprise)
        list.sort()
        owners[key] = list
    }

    /// Reads the CSV at `path`; a configuration error names the file and line of any bad row.
    public static func load(_ path: String) throws -> EnterpriseEnrollments {
        guard let bytes = FileBytes.read(path, limit: 1 << 30) else {
            throw ConfigError("cannot read --enterprises \(path)", hint: "check the path and its permissions")
        }
        return try parse(bytes, source: path)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws -> EnterpriseEnrollments {
        var result = EnterpriseEnrollments()
        var columns: (user: Int, course: Int, enterprise: Int)?
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if lineNumber == 1 && line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.isEmpty { continue }
            let at = "\(source):\(lineNumber)"
            guard let fields = CSVFields.split(String(decoding: line, as: UTF8.self)) else {
                throw ConfigError(
                    "\(at): unbalanced quotes", hint: "quote fields as RFC 4180 does (\"\" inside quotes)")
            }
            guard let c = columns else {
                let names = fields.map { $0.trimmed(" \t").lowercased() }
                guard let u = names.firstIndex(of: "user_id"), let k = names.firstIndex(of: "course_key"),
                    let e = names.firstIndex(of: "enterprise_customer_uuid")
                else {
                    throw ConfigError(
                        "\(at): the header must name user_id, course_key and enterprise_customer_uuid",
                        hint: "export it with the SQL in docs/rollup.md")
                }
                columns = (u, k, e)
                continue
            }
            guard fields.count > max(c.user, c.course, c.enterprise) else {
                throw ConfigError(
                    "\(at): \(fields.count) fields, fewer than the header's", hint: "fix or remove the row")
            }
            let userText = fields[c.user].trimmed(" \t")
            guard !userText.isEmpty, userText.utf8.allSatisfy({ $0 &- 0x30 < 10 }), let user = Int64(userText) else {
                throw ConfigError(
                    "\(at): user_id \"\(userText.prefix(40))\" is not a whole number", hint: "fix or remove the row")
            }
            let course = fields[c.course].trimmed(" \t")
            guard !course.isEmpty, course.utf8.count <= 255 else {
                throw ConfigError("\(at): course_key is empty or over 255 bytes", hint: "fix or remove the row")
            }
            guard let uuid = canonicalUUID(fields[c.enterprise].trimmed(" \t")) else {
                throw ConfigError(
                    "\(at): enterprise_customer_uuid \"\(fields[c.enterprise].prefix(40))\" is not a UUID",
                    hint: "use 32 hex digits, with or without dashes")
            }
            result.add(user: user, course: course, enterprise: uuid)
        }
        guard columns != nil else {
            throw ConfigError(
                "\(source) is empty", hint: "it needs a header user_id,course_key,enterprise_customer_uuid")
        }
        return result
    }

    /// `8-4-4-4-12` lower-case hex, from 32 hex digits with or without the dashes; nil otherwise.
    public static func canonicalUUID(_ text: String) -> String? {
        let hex = text.utf8.filter { $0 != UInt8(ascii: "-") }
        let dashes = text.utf8.count - hex.count
        guard hex.count == 32, dashes == 0 || dashes == 4,
            hex.allSatisfy({ ($0 &- 0x30) < 10 || ($0 | 0x20) &- 0x61 < 6 })
        else { return nil }
        if dashes == 4 {
            let u = Array(text.utf8)
            guard u[8] == 0x2D, u[13] == 0x2D, u[18] == 0x2D, u[23] == 0x2D else { return nil }
        }
        var out: [UInt8] = []
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(0x2D) }
            out.append(c | 0x20)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Splits one CSV line into fields, RFC 4180 style (quoted fields, `""` inside quotes); nil when
/// a quote is left open.
enum CSVFields {
    static func split(_ line: String) -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        var u = Array(line.utf8).makeIterator()
        var pending: UInt8? = nil
        while let c = pending ?? u.next() {
            pending = nil
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if let n = u.next() {
                        if n == UInt8(ascii: "\"") { field.append(c) } else { quoted = false; pending = n }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
                wasQuoted = false
            } else if c == UInt8(ascii: "\"") && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else {
                field.append(c)
            }
        }
        if quoted { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}
