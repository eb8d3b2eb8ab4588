extension Array where Element == UInt8 {
    /// Appends the decimal digits of `v` (with a `-` when negative), without building a String.
    package mutating func appendDecimal(_ v: Int64) {
        if v < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(v.magnitude)
    }

    package mutating func appendDecimal(_ v: UInt64) {
        let start = count
        var v = v
        repeat {
            append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        self[start...].reverse()
    }
}
