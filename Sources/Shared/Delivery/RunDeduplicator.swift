/// The third step of a line (parse, route, dedupe), with a journal: an id already delivered to the
/// same destination in an earlier run is skipped, and so is an id repeated while its first line of
/// this run is still under way, so each id is sent once. With `--resend-changed`, an id delivered
/// before whose learning time changed by at least the minimum is sent again as a correction.
final class RunDeduplicator {
    let journal: DeliveryJournal
    /// `--resend-changed`: the least change of `total_seconds` worth a correction; nil: never.
    let resendChanged: Int64?
    /// The ids of lines of this run not final yet, by journal scope.
    private var inRun: [String: SourceLocation] = [:]

    /// How a line that may go is sent: as it is, or as a correction; with the payload's digest
    /// for the journal.
    struct Admission {
        var revision: Revision?
        var digest: [UInt8] = []
    }

    /// Whether a line is sent, and how.
    enum Verdict {
        case send(Admission)
        /// Skipped: the reason, for its result.
        case skip(String)
    }

    init(journal: DeliveryJournal, resendChanged: Int64? = nil) {
        self.journal = journal
        self.resendChanged = resendChanged
    }

    /// Whether `line` may go to `endpoint`, and how; throws when the journal cannot be read.
    func check(_ line: InboundLine, _ endpoint: EndpointState) throws -> Verdict {
        var digest: [UInt8] = []
        func payloadDigest() -> [UInt8] {
            if digest.isEmpty { digest = line.digest }
            return digest
        }
        let e = line.enrichment
        let revision: Revision?
        switch try journalVerdict(
            line.id, endpoint, digest: payloadDigest, total: e?.learningTime == true ? e?.totalSeconds : nil)
        {
        case .skip(let reason): return .skip(reason)
        case .send(let r): revision = r
        }
        if let first = inRun[Self.key(line.id, endpoint)] {
            return .skip("same id as \(first), which is under way")
        }
        return .send(Admission(revision: revision, digest: payloadDigest()))
    }

    /// What the journal says of `id`: skip it, or send it (as a revision when it is a correction).
    /// `digest` is the SHA-256 of the payload and `total` its learning time (nil without one).
    private enum JournalVerdict {
        case send(Revision?)
        case skip(String)
    }

    private func journalVerdict(_ id: String, _ endpoint: EndpointState, digest: () -> [UInt8], total: Int64?)
        throws -> JournalVerdict
    {
        let delivered = "delivered in an earlier run (journal \(journal.path))"
        guard let minimum = resendChanged else {
            return try journal.contains(id, scope: endpoint.journalScope) ? .skip(delivered) : .send(nil)
        }
        guard let entry = try journal.entry(id, scope: endpoint.journalScope) else { return .send(nil) }
        guard let before = entry.digest, !before.isEmpty else {
            return .skip("\(delivered), before corrections were journaled: nothing to compare with")
        }
        if before == digest() { return .skip("\(delivered); unchanged") }
        // Never a correction that takes learning time away: the warehouse may only be down.
        guard let total else { return .skip("\(delivered); this line has no learning time, which never corrects") }
        let change = abs(total - (entry.totalSeconds ?? 0))
        if entry.totalSeconds == total || change < minimum {
            return .skip(
                "\(delivered); learning time changed by \(change) s, less than --resend-changed=\(minimum)")
        }
        return .send(Revision(number: entry.revision + 1, original: id, previousTotal: entry.totalSeconds))
    }

    /// `id`, read at `location`, is under way to `endpoint`.
    func begin(_ id: String, _ endpoint: EndpointState, at location: SourceLocation) {
        inRun[Self.key(id, endpoint)] = location
    }

    /// `id`'s line to `endpoint` is final.
    func end(_ id: String, _ endpoint: EndpointState) { inRun[Self.key(id, endpoint)] = nil }

    private static func key(_ id: String, _ endpoint: EndpointState) -> String { "\(endpoint.journalScope):\(id)" }
}
