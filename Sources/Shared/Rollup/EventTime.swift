/// Tracking-log times as microseconds since 1970-01-01T00:00:00Z, and UTC days as day numbers
/// since then: integers, so gaps, sums and midnight splits are exact.
public enum EventTime {
    public static let microsecondsPerSecond: Int64 = 1_000_000
    public static let microsecondsPerDay: Int64 = 86_400 * microsecondsPerSecond

    /// Reads `YYYY-MM-DDTHH:MM:SS`, with an optional fraction (digits past the sixth are dropped)
    /// and an optional zone (`Z`, `+HH:MM` or `+HHMM`; none means UTC), as microseconds in UTC.
    /// A space may stand for the `T`. Nil for anything else, or a day or time that does not exist.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var cache = DayCache()
        return parse(b, cache: &cache)
    }

    /// The last date read (`YYYY-MM-DD`, its 10 bytes) and its day number: a log's events come a day
    /// at a time, so most times skip reading and checking the date again.
    public struct DayCache {
        fileprivate var head: UInt64 = 0
        fileprivate var tail: UInt16 = 0
        /// Nil until a valid date is read.
        fileprivate var day: Int64?

        public init() {}

        fileprivate init(head: UInt64, tail: UInt16, day: Int64) {
            self.head = head
            self.tail = tail
            self.day = day
        }
    }

    /// ``parse(_:)`` remembering the last date in `cache`.
    @_optimize(speed)
    public static func parse(_ b: UnsafeBufferPointer<UInt8>, cache: inout DayCache) -> Int64? {
        guard b.count >= 19 else { return nil }
        @inline(__always) func digits(_ from: Int, _ n: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<from + n {
                let d = b[i] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
            }
            return v
        }
        let raw = UnsafeRawPointer(b.baseAddress!)
        let head = raw.loadUnaligned(as: UInt64.self)
        let tail = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let day: Int64
        if let cached = cache.day, head == cache.head, tail == cache.tail {
            day = cached
        } else {
            guard let y = digits(0, 4), b[4] == 0x2D, let mo = digits(5, 2), b[7] == 0x2D, let d = digits(8, 2),
                (1...12).contains(mo), d >= 1, d <= daysInMonth(year: y, month: mo)
            else { return nil }
            day = days(year: y, month: mo, day: d)
            cache = DayCache(head: head, tail: tail, day: day)
        }
        guard b[10] == UInt8(ascii: "T") || b[10] == 0x20, let h = digits(11, 2), b[13] == 0x3A,
            let mi = digits(14, 2), b[16] == 0x3A, let s = digits(17, 2), h < 24, mi < 60, s < 60
        else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var n = 0
            while i < b.count, b[i] &- 0x30 < 10 {
                if n < 6 { fraction = fraction * 10 + Int64(b[i] &- 0x30) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<max(n, 6) { fraction *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                let rest = b.count - i - 1
                guard rest == 5 || rest == 4, let oh = digits(i + 1, 2), oh < 24 else { return nil }
                let colon = rest == 5
                guard !colon || b[i + 3] == 0x3A, let om = digits(i + (colon ? 4 : 3), 2), om < 60 else { return nil }
                offsetMinutes = sign * (oh * 60 + om)
            } else {
                return nil
            }
        }
        let seconds = day * 86_400 + h * 3600 + mi * 60 + s - offsetMinutes * 60
        return seconds * microsecondsPerSecond + fraction
    }

    /// The UTC day a time falls on (floor division, so times before 1970 work too).
    @inline(__always)
    public static func day(of micros: Int64) -> Int64 {
        micros >= 0 ? micros / microsecondsPerDay : (micros + 1) / microsecondsPerDay - 1
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DD` of a day number (Hinnant's `civil_from_days`).
    public static func dateText(day z0: Int64) -> String {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The day number of `YYYY-MM-DD`, nil for anything else.
    public static func day(ofDate text: String) -> Int64? {
        var text = text
        return text.withUTF8 { u -> Int64? in
            guard u.count == 10 else { return nil }
            var padded = Array(u) + Array("T00:00:00".utf8)
            return padded.withUnsafeMutableBufferPointer { p in parse(UnsafeBufferPointer(p)).map(day(of:)) }
        }
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
