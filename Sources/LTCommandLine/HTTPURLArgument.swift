import ArgumentParser
import Shared

/// An http or https URL with a host and no user name or password, parsed with libcurl's URL API as
/// the parser reads it (a bad one is exit 64). Whether plain http is allowed (`--allow-http`) and
/// where it may connect are decided when the run starts.
public struct HTTPURLArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    /// Parsed here, once; the run judges plain http by ``HTTPURL/requireHTTPS(what:allowHTTP:)``.
    public let url: HTTPURL

    public init?(argument: String) {
        guard let url = try? HTTPURL(argument, what: "--url", allowHTTP: true) else { return nil }
        self.url = url
    }

    public var description: String { url.text }
}
