import Foundation

@testable import Shared

/// A temporary file for in-process tests of code that writes to a descriptor (diagnostics,
/// output) or reads from a path; removed when released.
final class ScratchFile {
    let path: String
    let fd: Int32

    init(_ contents: String = "") throws {
        var template = Array((NSTemporaryDirectory() + "lt-test-XXXXXX").utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        path = String(cString: template)
        _ = contents.utf8CString.dropLast().withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Everything written to the file so far.
    var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The file's lines, without the final empty one.
    var lines: [String] { text.split(separator: "\n").map(String.init) }
}
