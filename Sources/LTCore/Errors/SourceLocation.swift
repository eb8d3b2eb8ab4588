/// Where a line came from: the input's name (`<stdin>` or a path) and its 1-based line number.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int

    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    public var description: String { "\(source):\(line)" }
}
