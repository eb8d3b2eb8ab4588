/// The table and column names a query uses, validated so they can be written into SQL unquoted,
/// which lets each database fold their case as it would in a hand-written query.
public struct TableSpec: Sendable, Equatable {
    public var table = "PROD.BUSINESS_INTELLIGENCE.LEARNING_TIME"
    public var userColumn = "USER_ID"
    public var courseColumn = "COURSE_KEY"
    public var enterpriseColumn = "ENTERPRISE_CUSTOMER_UUID"
    public var secondsColumn = "LEARNING_TIME_SECONDS"
    /// The column with each row's day; read only when ``readsLatestDate`` (`--last-updated rows`).
    public var dateColumn = "DATE"
    /// When true, statements also return the latest ``dateColumn`` among each key's rows.
    public var readsLatestDate = false

    public init() {}

    /// Letters, digits and underscores, not starting with a digit; the table may have dot-separated parts.
    public func validate() throws {
        for (name, value, dotted) in [
            ("--table", table, true), ("--user-column", userColumn, false),
            ("--course-column", courseColumn, false), ("--enterprise-column", enterpriseColumn, false),
            ("--seconds-column", secondsColumn, false), ("--date-column", dateColumn, false),
        ] {
            guard TableSpec.isIdentifier(value, dotted: dotted) else {
                throw ConfigError(
                    "\(name) \"\(value)\" is not a plain SQL identifier",
                    hint:
                        "use letters, digits and underscores\(dotted ? ", in dot-separated parts" : "") (no quotes or spaces)"
                )
            }
        }
    }

    static func isIdentifier(_ s: String, dotted: Bool) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, dotted || parts.count == 1, parts.count <= 3 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
            return part.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            }
        }
    }
}
