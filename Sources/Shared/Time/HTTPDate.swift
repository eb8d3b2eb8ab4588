#if canImport(Glibc)
import Glibc
#endif

/// HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`), as `Retry-After` may carry.
public enum HTTPDate {
    /// Seconds since the epoch, or nil when the text is not an IMF-fixdate.
    public static func parse(_ text: String) -> Double? {
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int32(parts[1]), let year = Int32(parts[3]),
            let month = months.firstIndex(of: String(parts[2]))
        else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Int32(hms[0]), let m = Int32(hms[1]), let s = Int32(hms[2]) else { return nil }
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = Int32(month)
        tm.tm_mday = day
        tm.tm_hour = h
        tm.tm_min = m
        tm.tm_sec = s
        return Double(timegm(&tm))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ seconds: Double) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
