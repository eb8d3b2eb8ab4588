#if canImport(Glibc)
import Glibc
#endif

/// The UTC timestamp forms this project reads and writes (`2026-01-10T00:00:00Z`).
public enum Timestamps {
    /// True for `YYYY-MM-DDTHH:MM:SS` with optional fraction and a `Z` or `+00:00` zone.
    public static func isUTCTimestamp(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 20 else { return false }
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { let d = u[i] &- 0x30; guard d < 10 else { return nil }; v = v * 10 + Int(d) }
            return v
        }
        guard digits(0..<4) != nil, u[4] == UInt8(ascii: "-"), let mo = digits(5..<7), u[7] == UInt8(ascii: "-"),
            let d = digits(8..<10), u[10] == UInt8(ascii: "T"), let h = digits(11..<13), u[13] == UInt8(ascii: ":"),
            let mi = digits(14..<16), u[16] == UInt8(ascii: ":"), let se = digits(17..<19),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return false }
        var i = 19
        if u[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < u.count && u[i] &- 0x30 < 10 { i += 1 }
            guard i > f else { return false }
        }
        let zone = String(decoding: u[i...], as: UTF8.self)
        return zone == "Z" || zone == "+00:00"
    }

    /// Today's UTC date at midnight, the form `last_updated` takes.
    public static func todayUTC(now: Double = Timestamps.now()) -> String {
        var t = time_t(now)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T00:00:00Z"
    }

    /// The day after `date` at midnight UTC (`2026-01-10` gives `2026-01-11T00:00:00Z`), for
    /// `--last-updated rows`. `date` is a warehouse's day: `YYYY-MM-DD`, perhaps followed by a time
    /// after a space or `T`; nil for anything else, or a day that does not exist.
    public static func dayAfter(_ date: String) -> String? {
        let u = Array(date.utf8)
        guard u.count == 10 || (u.count > 10 && (u[10] == UInt8(ascii: " ") || u[10] == UInt8(ascii: "T"))),
            u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-")
        else { return nil }
        func digits(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in r { let d = u[i] &- 0x30; guard d < 10 else { return nil }; v = v * 10 + Int32(d) }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10), (1...12).contains(m),
            (1...31).contains(d), y >= 1
        else { return nil }
        var day = tm()
        day.tm_year = y - 1900
        day.tm_mon = m - 1
        day.tm_mday = d
        var t = timegm(&day)
        // timegm normalises 2026-02-30 into March: such a day does not exist.
        guard day.tm_mday == d, day.tm_mon == m - 1 else { return nil }
        t += 86_400
        return todayUTC(now: Double(t))
    }

    /// `2026-01-10T15:30:00.123Z`, for log records.
    public static func iso8601(_ seconds: Double) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        let millis = Int32((seconds - Double(Int(seconds))) * 1000)
        let year = tm.tm_year + 1900
        guard (0...9999).contains(year), millis >= 0 else {
            func pad(_ v: Int32, _ n: Int) -> String {
                let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s
            }
            return "\(pad(year, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
                + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(millis, 3))Z"
        }
        // Digits into a fixed layout: lt-send writes one of these per result line.
        var b = Array("0000-00-00T00:00:00.000Z".utf8)
        func put(_ v: Int32, at end: Int, digits: Int) {
            var v = v
            for i in stride(from: end, to: end - digits, by: -1) {
                b[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(year, at: 3, digits: 4)
        put(tm.tm_mon + 1, at: 6, digits: 2)
        put(tm.tm_mday, at: 9, digits: 2)
        put(tm.tm_hour, at: 12, digits: 2)
        put(tm.tm_min, at: 15, digits: 2)
        put(tm.tm_sec, at: 18, digits: 2)
        put(millis, at: 22, digits: 3)
        return String(decoding: b, as: UTF8.self)
    }

    /// Seconds since the epoch, wall clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Seconds on a monotonic clock, for durations.
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
