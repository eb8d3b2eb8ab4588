/// Why one input line cannot be handled; it becomes an error record and the stream goes on.
public struct InputError: LTError {
    public let message: String
    public let hint: String

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }

    init(_ json: JSONError) {
        self.init(
            "not valid JSON: \(json.message) (column \(json.offset + 1))",
            hint: "each line must be one JSON object: a webhook payload or an lt envelope")
    }
}
