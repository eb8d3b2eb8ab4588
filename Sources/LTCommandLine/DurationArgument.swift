import ArgumentParser
import Shared

/// A length of time on the command line, in the one syntax every option shares: `500ms`, `30s`,
/// `5m`, `1h` or a bare number of seconds. A bad value is a usage error from the parser (exit 64).
public struct DurationArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public init?(argument: String) {
        guard let seconds = try? DurationText.parse(argument, option: "") else { return nil }
        self.seconds = seconds
    }

    /// As `--help` shows a default: `20ms`, `30s`.
    public var description: String { DurationText.format(seconds) }

    /// The hint added to the parser's message about a bad duration.
    static let hint = "use a number with ms, s, m or h, such as 500ms, 30s, 5m or 1h, or a bare number of seconds"
}

/// A comma-separated list of durations, such as `30s,60s,120s`.
public struct DurationListArgument: ExpressibleByArgument, Sendable, Equatable {
    public var seconds: [Double]

    public init?(argument: String) {
        guard let seconds = try? DurationText.parseList(argument, option: ""), !seconds.isEmpty else { return nil }
        self.seconds = seconds
    }
}
