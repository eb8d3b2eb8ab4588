/// What a learning-time lookup is keyed by: learner, course run and enterprise.
public struct LookupKey: Hashable, Sendable, CustomStringConvertible {
    public let userID: Int64
    public let courseID: String
    public let enterpriseID: String

    /// The longest course key the warehouse column holds (`VARCHAR(255)`).
    public static let maxCourseLength = 255

    public init(userID: Int64, courseID: String, enterpriseID: String) {
        self.userID = userID
        self.courseID = courseID
        self.enterpriseID = enterpriseID
    }

    /// The specification's cache key, `learning_time:{user_id}:{course_id}:{enterprise_id}`, with the
    /// enterprise UUID in its canonical lower case (``validated(userID:courseID:enterpriseID:from:)``).
    public var cacheKey: String { "learning_time:\(userID):\(courseID):\(enterpriseID)" }

    public var description: String { cacheKey }

    /// Checks each part and builds a key, with a message that names the field at fault. The
    /// enterprise UUID is made canonical (lower case): warehouses, the cache and rollout rules
    /// compare it so, while the course key stays exact, as Open edX compares course keys.
    public static func validated(userID: Int64?, courseID: String?, enterpriseID: String?, from origin: String) throws
        -> LookupKey
    {
        guard let userID else { throw InputError("missing \(origin) user id", hint: "give a positive integer user id") }
        guard userID > 0 else {
            throw InputError("user id \(userID) is not positive", hint: "give a positive integer user id")
        }
        guard let courseID, !courseID.isEmpty else {
            throw InputError(
                "missing \(origin) course id", hint: "give the course run key, such as course-v1:edX+DemoX+Demo_Course")
        }
        guard courseID.utf8.count <= maxCourseLength else {
            throw InputError(
                "course id is \(courseID.utf8.count) bytes long, more than the warehouse's \(maxCourseLength)",
                hint: "check that the course id field holds a course run key")
        }
        guard !courseID.utf8.contains(where: { $0 < 0x20 }) else {
            throw InputError("course id contains a control character", hint: "check the course id field")
        }
        guard let enterpriseID else {
            throw InputError("missing \(origin) enterprise customer uuid", hint: "give the enterprise customer's UUID")
        }
        guard isUUID(enterpriseID) else {
            throw InputError(
                "enterprise customer uuid \"\(enterpriseID.prefix(64))\" is not a UUID",
                hint: "use the 36-character form, such as a1b2c3d4-e5f6-7890-abcd-ef1234567890")
        }
        return LookupKey(userID: userID, courseID: courseID, enterpriseID: canonicalUUID(enterpriseID))
    }

    /// A UUID (checked by ``isUUID(_:)``) in lower case, its canonical form.
    public static func canonicalUUID(_ s: String) -> String {
        isCanonicalUUID(s)
            ? s : String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x46 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// True when `s` has no upper-case hexadecimal digit.
    public static func isCanonicalUUID(_ s: String) -> Bool { !s.utf8.contains { $0 >= 0x41 && $0 <= 0x46 } }

    /// True for the canonical 8-4-4-4-12 hexadecimal form, either case: the one UUID check (keys, rollout files).
    public static func isUUID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !(c >= 0x30 && c <= 0x39 || c >= 0x61 && c <= 0x66 || c >= 0x41 && c <= 0x46) {
                return false
            }
        }
        return true
    }
}
