/// The one escaper for text from outside (input lines, partners, config files, the warehouse)
/// on its way to a terminal or the human log format: control characters (ESC, BEL, CR, LF, the
/// C1 range that holds OSC and CSI, DEL) and Unicode line and paragraph separators are shown
/// escaped, and a backslash is doubled, so nothing from outside can colour, retitle or clear a
/// terminal, or start a line of its own that looks like lt's. JSON logs escape by their own rules.
public enum TerminalText {
    /// `text` with every character a terminal would act on shown as `\n`, `\r`, `\t`, `\\`,
    /// `\xHH` or `\u{HHHH}`. With `backslashes: false` a backslash is kept as it is: for a whole
    /// human-format record, whose own text (paths, hints) may hold one; what matters there is that
    /// no character from outside can act on the terminal or start a line.
    public static func escape(_ text: String, backslashes: Bool = true) -> String {
        let needs = backslashes ? needsEscape : { $0 != "\\" && needsEscape($0) }
        guard text.unicodeScalars.contains(where: needs) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for s in text.unicodeScalars {
            guard needs(s) else {
                out.unicodeScalars.append(s)
                continue
            }
            switch s {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                let hex = String(s.value, radix: 16)
                out += s.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
        }
        return out
    }

    /// True for the characters ``escape(_:)`` rewrites.
    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || v == 0x7F || (v >= 0x80 && v <= 0x9F) || v == 0x2028 || v == 0x2029 || v == 0x5C
    }
}
