import ArgumentParser
import Shared

// The core library's enums and values, read from the command line. They live here so that
// Shared does not depend on ArgumentParser.

extension LogFormat: ExpressibleByArgument {}

extension DiagnosticLevel: ExpressibleByArgument {
    public init?(argument: String) {
        guard let level = DiagnosticLevel.allCases.first(where: { $0.name == argument }) else {
            return nil
        }
        self = level
    }

    public static var allValueStrings: [String] { allCases.map(\.name) }
    /// What each level shows, for `--help`. (The parser's own default pairs values with their raw
    /// values, integers here, so every description came out empty.)
    public static var allValueDescriptions: [String: String] {
        [
            "debug": "everything, each request and query included",
            "info": "progress and decisions too (as --verbose)",
            "warning": "problems, the default",
            "error": "only what stops a line or the run (as --quiet)",
        ]
    }
    public var defaultValueDescription: String { name }
}

extension EnrichOptions.Format: ExpressibleByArgument {}

extension RetryPolicy.Preset: ExpressibleByArgument {}

extension LastUpdatedRule: ExpressibleByArgument {}

extension AddressGuard.Network: ExpressibleByArgument {
    public init?(argument: String) {
        guard let network = try? AddressGuard.Network(argument) else { return nil }
        self = network
    }
}
