import Testing

@testable import Shared

/// The one duration syntax of every option and file: `500ms`, `30s`, `5m`, `1h`, bare seconds.
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", 0.5), ("20ms", 0.02), ("30s", 30), ("5m", 300), ("1h", 3600), ("7", 7), ("0", 0),
        ("1.5s", 1.5), (" 2m ", 120),
    ])
    func readsEveryUnit(_ text: String, _ seconds: Double) throws {
        #expect(try DurationText.parse(text, option: "--x") == seconds)
    }

    @Test(arguments: ["", "soon", "-1s", "5x", "1d", "ms", "nan", "inf", "1e999s", "s"])
    func refusesWhatIsNotADuration(_ text: String) {
        do {
            _ = try DurationText.parse(text, option: "--retry-delay")
            Issue.record("accepted \"\(text)\"")
        } catch let e as ConfigError {
            #expect(e.message.hasPrefix("--retry-delay: "))
            #expect(e.hint.contains("30s"))
        } catch { Issue.record("\(error)") }
    }

    @Test func listsAndFormatting() throws {
        #expect(try DurationText.parseList("30s,60s,2m", option: "--retry-schedule") == [30, 60, 120])
        #expect(throws: ConfigError.self) { try DurationText.parseList("30s,later", option: "--retry-schedule") }
        for seconds in [0.02, 0.25, 1.5, 30, 3600] {
            #expect(try DurationText.parse(DurationText.format(seconds), option: "--x") == seconds)
        }
        #expect(DurationText.format(0.25) == "250ms")
        #expect(DurationText.format(30) == "30s")
    }
}
