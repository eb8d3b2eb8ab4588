/// Why a line is not the JSON we expect, with the byte offset where the scanner stopped.
public struct JSONError: LTError, Equatable {
    public let message: String
    public let offset: Int
    public var kind: ErrorKind { .failure }

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var hint: String { "each line must be one JSON object (NDJSON); check the byte at column \(offset + 1)" }
}
