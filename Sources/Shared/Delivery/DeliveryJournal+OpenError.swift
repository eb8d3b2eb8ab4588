import CSQLite

extension DeliveryJournal {
    /// Why the journal at `path` could not be opened, with the fix for that cause: a full disk or a
    /// busy file is not damage, and deleting the journal would be the wrong fix (a re-run would send
    /// every line again).
    static func openingError(_ path: String, _ e: SQLiteConnection.Failure) -> any LTError {
        let keep = "; keep the journal, it holds what was delivered"
        switch e.code & 0xFF {
        case SQLITE_FULL, SQLITE_IOERR:
            return IOError(
                .writing, "cannot write the journal \(path): \(e.message)",
                hint: "free disk space on its filesystem\(keep)")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return ConfigError(
                "the journal \(path) is in use by another process (\(e.message))",
                hint: "wait for it to end, or give --journal another path\(keep)")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return ConfigError(
                "cannot read the journal \(path): \(e.message)",
                hint: "a damaged journal must be restored from a backup or replaced; with a new journal, "
                    + "a re-run sends again what the old one recorded")
        default:
            return ConfigError(
                "cannot open the journal \(path): \(e.message)",
                hint: "check its permissions and its folder's\(keep)")
        }
    }
}
