/// `total_hours` exactly as the reference implementation writes it: Python's
/// `json.dumps(round(total_seconds / 3600, 2))`.
///
/// Python divides in binary double precision, rounds the exact binary value half-to-even at two
/// decimals, reads the decimal back as the nearest double and prints the shortest text that reads
/// back to it. Here the rounding is done exactly in integers on the double's significand, and
/// since the result is a number of hundredths below 10^15 its shortest form is that decimal
/// itself, so the text is built from the integer without a float-to-string conversion.
public enum LearningHours {
    /// The rounded value as an integer number of hundredths of an hour.
    public static func hundredths(totalSeconds: Int64) -> Int64 {
        let x = Double(totalSeconds) / 3600
        if x == 0 || !x.isFinite { return 0 }
        let negative = x < 0
        let a = abs(x)
        // a = significand * 2^exponent exactly, with an integer significand.
        let significand = a.significandBitPattern | (a.isNormal ? 1 << 52 : 0)
        let exponent = Int(a.exponent) - 52
        let scaled = significand.multipliedFullWidth(by: 100)
        var q: UInt64
        if exponent >= 0 {
            q = (scaled.low << UInt64(exponent))
        } else {
            let shift = -exponent
            // 100 * significand < 2^60, so `scaled.high` is 0 and the value is `scaled.low`.
            let v = scaled.low
            if shift >= 64 { q = 0 } else {
                q = v >> UInt64(shift)
                let remainder = v & ((1 << UInt64(shift)) - 1)
                let half: UInt64 = 1 << UInt64(shift - 1)
                if remainder > half || (remainder == half && q & 1 == 1) { q += 1 }
            }
        }
        return negative ? -Int64(q) : Int64(q)
    }

    /// The JSON text, such as `5.15`, `5.0` or `0.01`.
    public static func text(totalSeconds: Int64) -> String {
        let h = hundredths(totalSeconds: totalSeconds)
        let magnitude = h.magnitude
        let whole = magnitude / 100
        let frac = magnitude % 100
        let sign = h < 0 ? "-" : ""
        if frac == 0 { return "\(sign)\(whole).0" }
        if frac % 10 == 0 { return "\(sign)\(whole).\(frac / 10)" }
        return "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}
