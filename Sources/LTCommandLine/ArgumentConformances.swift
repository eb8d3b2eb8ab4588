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
