#if canImport(Glibc)
import Glibc
#endif

/// HTTP dates, as `Retry-After` may carry, in the three forms RFC 9110 §5.6.7 says a recipient
/// must accept: the IMF-fixdate senders use (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete
/// ones, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
public enum HTTPDate {
    /// Seconds since the epoch, or nil when `text` is none of the three forms exactly (names as
    /// written in the RFC, every field its width, the date and time in range). `now` decides the
    /// century of an RFC 850 date's two-digit year: the RFC's rule reads one that would be more
    /// than 50 years in the future as the latest past year with those digits.
    public static func parse(_ text: String, now: Double) -> Double? {
        let bytes = Array(text.utf8)
        return imfFixdate(bytes) ?? rfc850(bytes, now: now) ?? asctime(bytes)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func imfFixdate(_ bytes: [UInt8]) -> Double? {
        var c = Cursor(bytes)
        guard c.word(of: shortDays) != nil, c.literal(", "), let day = c.digits(2), c.literal(" "),
            let month = c.word(of: months), c.literal(" "), let year = c.digits(4), c.literal(" "),
            let time = c.timeOfDay(), c.literal(" GMT"), c.atEnd
        else { return nil }
        return seconds(year: year, month: month, day: day, time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func rfc850(_ bytes: [UInt8], now: Double) -> Double? {
        var c = Cursor(bytes)
        guard c.word(of: longDays) != nil, c.literal(", "), let day = c.digits(2), c.literal("-"),
            let month = c.word(of: months), c.literal("-"), let yy = c.digits(2), c.literal(" "),
            let time = c.timeOfDay(), c.literal(" GMT"), c.atEnd
        else { return nil }
        var t = time_t(now)
        var today = tm()
        gmtime_r(&t, &today)
        let century = (Int(today.tm_year) + 1900) / 100 * 100
        guard let date = seconds(year: century + yy, month: month, day: day, time) else { return nil }
        // 50 years of 365.2425 days: "appears to be more than 50 years in the future".
        if date > now + 50 * 31_556_952 { return seconds(year: century - 100 + yy, month: month, day: day, time) }
        return date
    }

    /// `Sun Nov  6 08:49:37 1994` (a one-digit day after a space) or `Sun Nov 16 08:49:37 1994`
    private static func asctime(_ bytes: [UInt8]) -> Double? {
        var c = Cursor(bytes)
        guard c.word(of: shortDays) != nil, c.literal(" "), let month = c.word(of: months), c.literal(" ") else {
            return nil
        }
        let day = c.literal(" ") ? c.digits(1) : c.digits(2)
        guard let day, c.literal(" "), let time = c.timeOfDay(), c.literal(" "), let year = c.digits(4), c.atEnd
        else { return nil }
        return seconds(year: year, month: month, day: day, time)
    }

    /// The moment, or nil for a day the month does not have (`31 Apr`, `29 Feb` outside leap years).
    private static func seconds(year: Int, month: Int, day: Int, _ time: (h: Int, m: Int, s: Int)) -> Double? {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let length = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]
        guard (1...length).contains(day) else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(time.h)
        tm.tm_min = Int32(time.m)
        tm.tm_sec = Int32(time.s)
        return Double(timegm(&tm))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Reads a date's fields left to right; every read fails on anything but exactly what it expects.
    private struct Cursor {
        let bytes: [UInt8]
        var i = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i == bytes.count }

        mutating func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard i + n <= bytes.count,
                (0..<n).allSatisfy({ bytes[i + $0] == text.utf8Start[$0] })
            else { return false }
            i += n
            return true
        }

        /// `count` decimal digits, no sign and no more or fewer.
        mutating func digits(_ count: Int) -> Int? {
            guard i + count <= bytes.count else { return nil }
            var value = 0
            for b in bytes[i..<(i + count)] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            i += count
            return value
        }

        /// The index in `words` of the word that comes next, followed by a non-letter.
        mutating func word(of words: [String]) -> Int? {
            var end = i
            while end < bytes.count, (bytes[end] | 0x20) >= UInt8(ascii: "a"), (bytes[end] | 0x20) <= UInt8(ascii: "z")
            {
                end += 1
            }
            guard let k = words.firstIndex(where: { $0.utf8.elementsEqual(bytes[i..<end]) }) else { return nil }
            i = end
            return k
        }

        /// `HH:MM:SS`, with 60 seconds allowed for a leap second.
        mutating func timeOfDay() -> (h: Int, m: Int, s: Int)? {
            guard let h = digits(2), h < 24, literal(":"), let m = digits(2), m < 60, literal(":"),
                let s = digits(2), s <= 60
            else { return nil }
            return (h, m, s)
        }
    }

    public static func format(_ seconds: Double) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
