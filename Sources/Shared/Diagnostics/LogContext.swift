/// A value in a log record's `context`: facts kept out of the message text, so that records can be
/// searched by them and the same problem repeated reads the same.
public enum LogValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
}

/// A log record's `context` object, such as `user_id`, `course_id`, `enterprise_uuid`, `query_duration_ms`,
/// and `error` and `retry_count` on errors.
public typealias LogContext = [String: LogValue]
