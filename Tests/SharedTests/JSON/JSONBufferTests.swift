import Foundation
import Testing

@testable import Shared

@Suite struct JSONBufferTests {
    @Test func nothingATerminalOrALogViewerActsOnIsWrittenRaw() throws {
        let hostile = "a\u{1B}[2J\u{9B}31m\u{9D}0;t\u{07}\r\n\u{2028}\u{2029}\u{7F}\"\\é€"
        var json = JSONBuffer()
        json.string(hostile)
        let text = String(decoding: json.bytes, as: UTF8.self)
        #expect(text == #""a\u001b[2J\u009b31m\u009d0;t\u0007\r\n\u2028\u2029\u007f\"\\é€""#)
        // It reads back as the same string.
        let back = try JSONSerialization.jsonObject(with: Data(json.bytes), options: .fragmentsAllowed) as? String
        #expect(back == hostile)
    }
}
