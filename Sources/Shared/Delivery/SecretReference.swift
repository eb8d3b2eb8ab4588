/// A secret named by where it lives, never by its value: an environment variable or a file.
public enum SecretReference: Sendable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads the secret; one final newline of a file is dropped. An empty secret, or one with a
    /// control character (which would end up in a header), is a configuration error.
    public func resolve(_ environment: [String: String]) throws -> String {
        var value: String
        switch self {
        case .environment(let name):
            guard let v = environment[name] else {
                throw ConfigError(
                    "environment variable \(name) is not set",
                    hint: "export \(name) with the secret before running lt-send")
            }
            value = v
        case .file(let path):
            guard let data = FileBytes.read(path) else {
                throw ConfigError("cannot read secret file \(path)", hint: "check the path and its permissions")
            }
            var bytes = data[...]
            if bytes.last == 0x0A { bytes = bytes.dropLast() }
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            value = String(decoding: bytes, as: UTF8.self)
        }
        if value.isEmpty {
            throw ConfigError(
                "the secret in \(self) is empty", hint: "put the secret there; an empty one would be sent as it is")
        }
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw ConfigError(
                "the secret in \(self) contains a control character or line break",
                hint: "a secret is one line; remove the extra line breaks")
        }
        return value
    }

    public var description: String {
        switch self {
        case .environment(let n): "$\(n)"
        case .file(let p): "file \(p)"
        }
    }
}
