#if canImport(Glibc)
import Glibc
#endif

/// A rollout file and the rules last read from it, re-read when the file changes.
///
/// A check costs one `stat` and happens at most every ``checkInterval`` seconds, so a per-line
/// call is cheap and a flipped file takes effect for lines arriving a fraction of a second later.
/// The file is read again only when its inode, size, modification or change time differ, which
/// catches both in-place edits and atomic replacements (`mv new.json rollout.json`).
public final class RolloutFile {
    public let path: String
    /// The last good rules; they stay in force while the file is missing or invalid.
    public private(set) var rules: RolloutRules
    /// Minimum time between two looks at the file, in seconds.
    public var checkInterval: Double = 0.2
    private var signature: Signature?
    private var lastCheck: Double

    /// What a look at the file found.
    public enum Change {
        case unchanged
        /// The file changed and its new rules differ from the previous ones.
        case reloaded(previous: RolloutRules)
        /// The file changed into something unusable (or vanished); the last good rules stay.
        case failed(ConfigError)
    }

    /// Identity and version of the file's content as `stat` sees it.
    struct Signature: Equatable {
        var device: UInt64, inode: UInt64, size: Int64
        var modified: timespec, changed: timespec

        static func == (a: Signature, b: Signature) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// Reads the file; at start-up a missing or invalid file is an error (exit status 2).
    public init(path: String, now: Double = Timestamps.monotonic()) throws {
        self.path = path
        lastCheck = now
        let sig = RolloutFile.signature(of: path)
        rules = try RolloutFile.load(path)
        signature = sig
    }

    /// Looks at the file if ``checkInterval`` has passed since the last look.
    public func refresh(now: Double = Timestamps.monotonic()) -> Change {
        guard now - lastCheck >= checkInterval else { return .unchanged }
        lastCheck = now
        let sig = RolloutFile.signature(of: path)
        guard sig != signature else { return .unchanged }
        signature = sig
        guard sig != nil else {
            return .failed(
                ConfigError(
                    "rollout file \(path) is missing; keeping the last good setting (\(rules.summary))",
                    hint: "put the file back, or write {\"enabled\": false} to turn enrichment off"))
        }
        do {
            let new = try RolloutFile.load(path)
            guard new != rules else { return .unchanged }
            let previous = rules
            rules = new
            return .reloaded(previous: previous)
        } catch let e as ConfigError {
            return .failed(ConfigError("\(e.message); keeping the last good setting (\(rules.summary))", hint: e.hint))
        } catch {
            return .failed(
                ConfigError("rollout file \(path): \(error); keeping the last good setting (\(rules.summary))"))
        }
    }

    static func load(_ path: String) throws -> RolloutRules {
        guard let bytes = FileBytes.read(path, limit: 1 << 20) else {
            let reason = access(path, F_OK) == 0 ? "cannot be read or is over 1 MiB" : "does not exist"
            throw ConfigError(
                "rollout file \(path) \(reason)",
                hint: "check the path given by --rollout or $\(EnrichmentFlag.rolloutFileVariable)")
        }
        return try RolloutRules.parse(bytes, file: path)
    }

    static func signature(of path: String) -> Signature? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Signature(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modified: st.st_mtim, changed: st.st_ctim)
    }
}
