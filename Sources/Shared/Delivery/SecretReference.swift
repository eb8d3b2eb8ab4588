/// A secret named by where it lives, never by its value: an environment variable or a file.
public enum SecretReference: Sendable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads the secret; trailing whitespace of a file is dropped.
    public func resolve(_ environment: [String: String]) throws -> String {
        switch self {
        case .environment(let name):
            guard let v = environment[name], !v.isEmpty else {
                throw ConfigError("environment variable \(name) is not set", hint: "export \(name) with the secret before running lt-send")
            }
            return v
        case .file(let path):
            guard let data = FileBytes.read(path) else {
                throw ConfigError("cannot read secret file \(path)", hint: "check the path and its permissions")
            }
            var s = String(decoding: data, as: UTF8.self)
            while let last = s.last, last.isWhitespace { s.removeLast() }
            return s
        }
    }

    public var description: String {
        switch self {
        case .environment(let n): "$\(n)"
        case .file(let p): "file \(p)"
        }
    }
}
