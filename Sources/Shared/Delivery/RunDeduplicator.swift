/// The third step of a line (parse, route, dedupe), with a journal: an id already delivered to the
/// same destination in an earlier run is skipped, and so is an id repeated while its first line of
/// this run is still under way, so each id is sent once.
final class RunDeduplicator {
    let journal: DeliveryJournal
    /// The ids of lines of this run not final yet, by journal scope.
    private var inRun: [String: SourceLocation] = [:]

    /// Why a line is not sent again.
    enum Verdict {
        case send
        /// Skipped: the reason, for its result.
        case skip(String)
    }

    init(journal: DeliveryJournal) { self.journal = journal }

    /// Whether `id` may go to `endpoint`; throws when the journal cannot be read.
    func check(_ id: String, _ endpoint: EndpointState) throws -> Verdict {
        if try journal.contains(id, scope: endpoint.journalScope) {
            return .skip("delivered in an earlier run (journal \(journal.path))")
        }
        if let first = inRun[Self.key(id, endpoint)] {
            return .skip("same id as \(first), which is under way")
        }
        return .send
    }

    /// `id`, read at `location`, is under way to `endpoint`.
    func begin(_ id: String, _ endpoint: EndpointState, at location: SourceLocation) {
        inRun[Self.key(id, endpoint)] = location
    }

    /// `id`'s line to `endpoint` is final.
    func end(_ id: String, _ endpoint: EndpointState) { inRun[Self.key(id, endpoint)] = nil }

    private static func key(_ id: String, _ endpoint: EndpointState) -> String { "\(endpoint.journalScope):\(id)" }
}
