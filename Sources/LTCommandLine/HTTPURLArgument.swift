import ArgumentParser
import Shared

/// An http or https URL with a host and no user name or password, parsed with libcurl's URL API as
/// the parser reads it (a bad one is exit 64). Whether plain http is allowed (`--allow-http`) and
/// where it may connect are decided when the run starts.
public struct HTTPURLArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public let text: String

    public init?(argument: String) {
        guard (try? HTTPURL(argument, what: "--url", allowHTTP: true)) != nil else { return nil }
        text = argument
    }

    public var description: String { text }
}
