/// Standard output closed before every result was written: exit 1, with every line read either
/// journaled (delivered) or in the dead-letter file.
public struct ResultsLost: LTError {
    public let results: Int
    public let deadLetter: String?
    public let note: String
    public var kind: ErrorKind { .failure }
    public var message: String {
        "standard output was closed: \(results) results were not written\(note)"
    }
    public var hint: String {
        deadLetter.map { "lines read and not delivered are in \($0); delivered ones are in the journal" }
            ?? "without --dead-letter, lines not delivered are only named in the errors above"
    }
}
