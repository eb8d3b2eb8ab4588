/// Why lt-send stopped reading before the end of its input.
enum Halt: Equatable {
    /// A result, dead-letter entry or journal entry could not be written.
    case recording
    /// Standard output closed: results can no longer be written.
    case outputClosed

    var reason: String {
        switch self {
        case .recording: "lt-send cannot record lines (see the error above)"
        case .outputClosed: "standard output was closed"
        }
    }
}
