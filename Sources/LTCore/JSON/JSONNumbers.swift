/// Reading integers out of JSON text without going through Double.
public enum JSONNumbers {
    /// The value of an integer literal (no fraction, no exponent) that fits in Int64, else nil.
    public static func int64(_ s: JSONScanner, _ range: Range<Int>) -> Int64? {
        guard range.lowerBound >= 0, range.upperBound <= s.count, s.kind(at: range.lowerBound) == .number else {
            return nil
        }
        return parseDigits(s.bytes(range))
    }

    /// `-?[0-9]+` as Int64, nil on anything else or on overflow.
    public static func parseDigits(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < b.count && b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < b.count else { return nil }
        var v: Int64 = 0
        while i < b.count {
            let d = b[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }
}
