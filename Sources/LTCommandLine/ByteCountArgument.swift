import ArgumentParser

/// A number of bytes on the command line: a bare number, or one with `KiB`, `MiB` or `GiB`
/// (`K`, `M`, `G` also), such as `32MiB`. A bad value is a usage error from the parser (exit 64).
public struct ByteCountArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    public init?(argument: String) {
        let units: [(String, Int)] = [
            ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10),
        ]
        var text = Substring(argument)
        var scale = 1
        if let (suffix, s) = units.first(where: { argument.hasSuffix($0.0) }) {
            text = text.dropLast(suffix.count)
            scale = s
        }
        guard let n = Int(text), n > 0, n <= Int.max / scale else { return nil }
        bytes = n * scale
    }

    /// As `--help` shows a default: `32MiB`.
    public var description: String {
        for (suffix, s) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes % s == 0 {
            return "\(bytes / s)\(suffix)"
        }
        return String(bytes)
    }
}
