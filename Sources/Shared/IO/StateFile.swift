#if canImport(Glibc)
import Glibc
#endif

/// The one place lt opens a file it creates, appends to or replaces (the journal and its lock,
/// the dead-letter file, the attempt log, the cache, the metrics file), so none is ever written
/// through a planted link or left readable by others:
///
/// - never through a symbolic link: `O_NOFOLLOW`, and a link is refused with an error that says so;
/// - created `0600` (learner data), or the mode asked for (the metrics file, `0644`);
/// - replaced whole through a temporary file created with `O_EXCL` in the target's own folder,
///   under a name no one could have planted in advance, then renamed over the target.
public enum StateFile {
    /// Opens `path` for appending, created `0600` when missing. `what` names it in errors
    /// ("the dead-letter file"). A symbolic link or anything but a regular file is refused (exit 2).
    public static func openForAppending(_ path: String, what: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno
            if reason == ELOOP { throw link(path, what) }
            throw IOError(
                .appending, "cannot open \(what) \(path) for appending: \(String(cString: strerror(reason)))",
                hint: "check the path and its permissions")
        }
        var st = stat()
        if fstat(fd, &st) != 0 || st.st_mode & S_IFMT != S_IFREG {
            close(fd)
            throw ConfigError("\(what) \(path) is not a regular file", hint: "give a path to a plain file")
        }
        return fd
    }

    /// Makes sure `path` exists as a plain file of this user's before a library (SQLite) opens
    /// it: created empty and `0600` when missing, so the library's files beside it (a WAL, which
    /// SQLite creates with the database's mode) are `0600` too. A link at `path` or at any of
    /// `companions` (suffixes such as `-wal`) is refused (exit 2).
    public static func prepare(_ path: String, what: String, companions: [String] = []) throws {
        for p in [path] + companions.map({ path + $0 }) {
            if let why = refusal(p, what: what) { throw ConfigError(why, hint: "give the real path, not a link to it") }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw IOError(
                .writing, "cannot create \(what) \(path): \(String(cString: strerror(errno)))",
                hint: "check the path and its folder's permissions")
        }
    }

    /// Why `p` must not be opened: a symbolic link, or anything but a regular file. Nil when it
    /// is absent or a regular file.
    public static func refusal(_ p: String, what: String) -> String? {
        var st = stat()
        guard lstat(p, &st) == 0 else { return nil }
        if st.st_mode & S_IFMT == S_IFLNK {
            return "\(what) \(p) is a symbolic link; lt never writes through a link"
        }
        if st.st_mode & S_IFMT != S_IFREG { return "\(what) \(p) is not a regular file" }
        return nil
    }

    /// Replaces `path` with `bytes`, whole: written to a fresh temporary file in the same folder
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`, a random name), then renamed over it, so a reader never
    /// sees half a file and a link planted at any name is never followed. A link at `path` itself
    /// is refused rather than replaced.
    public static func replace(_ path: String, with bytes: UnsafeBufferPointer<UInt8>, mode: mode_t, what: String)
        throws
    {
        if let why = refusal(path, what: what) { throw IOError(.writing, why) }
        var fd: Int32 = -1
        var tmp = ""
        for _ in 0..<8 {
            tmp = path + ".tmp." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw IOError(
                .writing, "cannot create a temporary file beside \(path): \(String(cString: strerror(errno)))")
        }
        var off = 0
        var failure: Int32 = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            failure = n < 0 ? errno : ENOSPC
            break
        }
        close(fd)
        if failure == 0 && rename(tmp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(tmp)
            throw IOError(.writing, "cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }

    private static func link(_ path: String, _ what: String) -> ConfigError {
        ConfigError(
            "\(what) \(path) is a symbolic link; lt never writes through a link",
            hint: "give the real path, not a link to it")
    }
}
