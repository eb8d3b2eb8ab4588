import ArgumentParser
import FoundationEssentials

/// An http or https URL with a host, checked by the parser (a bad one is exit 64). Whether plain
/// http is allowed (`--allow-http`) and where it may connect are decided when the run starts.
public struct HTTPURLArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public let text: String

    public init?(argument: String) {
        guard let url = URLComponents(string: argument), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return nil }
        text = argument
    }

    public var description: String { text }
}
