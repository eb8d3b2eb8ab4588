import Testing

@testable import Shared

@Suite struct TerminalTextTests {
    @Test func nothingATerminalActsOnPassesRaw() {
        let hostile = "u\u{1B}]0;pwned\u{07}\u{1B}[2J\r\nlt-send: error: forged\u{9B}31m\u{2028}\\"
        let shown = TerminalText.escape(hostile)
        #expect(shown == #"u\x1b]0;pwned\x07\x1b[2J\r\nlt-send: error: forged\x9b31m\u{2028}\\"#)
        #expect(!shown.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\\" })
        #expect(TerminalText.escape("plain café") == "plain café")
        #expect(TerminalText.escape("C:\\x\n", backslashes: false) == "C:\\x\\n")
    }
}
