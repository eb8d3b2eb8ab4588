/// `total_hours` exactly as the reference implementation writes it: Python's
/// `json.dumps(round(total_seconds / 3600, 2))`.
///
/// Python does three things, each reproduced here without a float-to-string conversion:
/// 1. `total_seconds / 3600` is an int true division: the double nearest the exact quotient.
///    Up to 2^53 seconds the numerator is exact as a double, so one IEEE division gives it; above,
///    ``quotient(_:)`` divides in integers and rounds once.
/// 2. `round(x, 2)` rounds the double's exact binary value half-to-even to hundredths (CPython
///    formats it with `_Py_dg_dtoa` mode 3 and reads the decimal back). ``hundredths(totalSeconds:)``
///    does that rounding on the double's integer significand.
/// 3. `json.dumps` prints `repr`: the shortest text that reads back to the same double, always with
///    a decimal point below 1e16. A decimal with at most 15 significant digits is the only such
///    decimal that reads back to its double (DBL_DIG is 15), so when the number of hundredths is
///    below 10^15 (every total up to 3.6 × 10^16 s, which covers 0…2^53) the text is those digits.
///    Larger totals, which no warehouse will produce, take a slower exact path.
public enum LearningHours {
    /// `seconds / 3600` rounded once to the nearest double, as Python's `int / int` does.
    public static func quotient(_ seconds: Int64) -> Double {
        let m = seconds.magnitude
        var x: Double
        if m <= 1 << 53 {
            x = Double(m) / 3600
        } else {
            // Scale so that the integer quotient has 55 or 56 bits: the 53 a double keeps, a rounding
            // bit, and below it a sticky bit that records a non-zero remainder.
            let shift = 67 - (64 - m.leadingZeroBitCount)
            let wide = m.multipliedFullWidth(by: 1 << UInt64(shift))
            let (q, r) = UInt64(3600).dividingFullWidth((wide.high, wide.low))
            x = Double(q | (r == 0 ? 0 : 1)) * Double(sign: .plus, exponent: -shift, significand: 1)
        }
        return seconds < 0 ? -x : x
    }

    /// The rounded value as an integer number of hundredths of an hour.
    public static func hundredths(totalSeconds: Int64) -> Int64 {
        let x = quotient(totalSeconds)
        if x == 0 { return 0 }
        let a = abs(x)
        // a = significand × 2^exponent exactly; a < 2^52 for any Int64 total, so exponent < 0.
        let significand = a.significandBitPattern | (a.isNormal ? 1 << 52 : 0)
        let shift = 52 - Int(a.exponent)
        // 100 × significand < 2^60: no overflow.
        let v = significand * 100
        var q: UInt64 = 0
        if shift < 64 {
            q = v >> UInt64(shift)
            let remainder = v & ((1 << UInt64(shift)) - 1)
            let half: UInt64 = 1 << UInt64(shift - 1)
            if remainder > half || (remainder == half && q & 1 == 1) { q += 1 }
        }
        return x < 0 ? -Int64(q) : Int64(q)
    }

    /// The JSON text, such as `5.15`, `5.0` or `0.01`.
    public static func text(totalSeconds: Int64) -> String {
        var bytes: [UInt8] = []
        append(totalSeconds: totalSeconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the JSON text to `out` without building a String (the hot path of lt-enrich).
    public static func append(totalSeconds: Int64, to out: inout [UInt8]) {
        let h = hundredths(totalSeconds: totalSeconds)
        let magnitude = h.magnitude
        if magnitude >= 1_000_000_000_000_000 {
            out.append(contentsOf: largeText(h).utf8)
            return
        }
        if h < 0 { out.append(UInt8(ascii: "-")) }
        out.appendDecimal(magnitude / 100)
        out.append(UInt8(ascii: "."))
        let frac = magnitude % 100
        out.append(UInt8(ascii: "0") + UInt8(frac / 10))
        if frac % 10 != 0 { out.append(UInt8(ascii: "0") + UInt8(frac % 10)) }
    }

    /// Hundredths of 10^15 and above (totals over 3.6 × 10^16 s): read the decimal back as the
    /// nearest double (as CPython's `round` does) and print its shortest round-trip form, which
    /// Swift's `description` gives in the same plain notation as Python's `repr` below 1e16.
    private static func largeText(_ h: Int64) -> String {
        let m = h.magnitude
        let frac = m % 100
        let decimal = "\(h < 0 ? "-" : "")\(m / 100).\(frac < 10 ? "0" : "")\(frac)"
        return Double(decimal)!.description
    }
}
