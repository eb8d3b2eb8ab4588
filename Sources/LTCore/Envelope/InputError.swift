/// Why one input line cannot be handled; it becomes an error record and the stream goes on.
public typealias InputError = DomainError<InputDomain>

/// The domain of ``InputError``: the line fails (exit status 1), the run goes on.
public enum InputDomain: ErrorDomain {
    public static var kind: ErrorKind { .failure }
}

extension InputError {
    init(_ json: JSONError) {
        self.init(
            "not valid JSON: \(json.message) (column \(json.offset + 1))",
            hint: "each line must be one JSON object: a webhook payload or an lt envelope")
    }
}

/// An envelope `key` that names another learner, course or enterprise than the payload's own
/// (`user 12345 ≠ 34567`): the line is invalid whatever its lookup says.
public struct KeyDisagreement: LTError {
    public let message: String
    public var kind: ErrorKind { .failure }
    public let hint =
        "the envelope's key is for payloads lt cannot read; drop it, or make it match the payload's "
        + "user.id, course.course_id and enterprise.enterprise_customer_uuid"

    init(_ differences: [String]) {
        message = "key disagrees with the payload: \(differences.joined(separator: ", "))"
    }
}
