#if canImport(Glibc)
import Glibc
#endif

/// The `--journal` file: one webhook id per line for every confirmed delivery, appended and
/// synced to disk before the delivery is reported, so a re-run skips what was already delivered.
///
/// Ids are written in groups (one write and one `fdatasync` per batch of completions), so the
/// sync costs little at high rates; a crash loses at most the ids not yet synced, whose lines
/// were still unreported and are sent again on the re-run.
public final class DeliveryJournal {
    public let path: String
    private let file: AppendFile
    private var known: Set<String> = []
    private var batch: [UInt8] = []

    public init(path: String) throws {
        self.path = path
        if let bytes = FileBytes.read(path, limit: 1 << 30) {
            for line in bytes.split(separator: 0x0A) where !line.isEmpty {
                known.insert(String(decoding: line, as: UTF8.self))
            }
        }
        file = try AppendFile(path: path)
    }

    /// Ids in the journal when the run began, plus those recorded since.
    public var count: Int { known.count }

    public func contains(_ id: String) -> Bool { known.contains(id) }

    /// Notes a delivered id; it reaches the disk at the next ``sync()``.
    public func record(_ id: String) {
        guard known.insert(id).inserted else { return }
        batch.append(contentsOf: id.utf8)
        batch.append(0x0A)
    }

    public var hasUnsynced: Bool { !batch.isEmpty }

    /// Writes the recorded ids and waits until they are on disk.
    public func sync() throws {
        guard !batch.isEmpty else { return }
        // The batch ends with a newline already; appendLine adds none for an empty line's worth.
        batch.removeLast()
        try file.appendLine(batch, sync: true)
        batch.removeAll(keepingCapacity: true)
    }
}
