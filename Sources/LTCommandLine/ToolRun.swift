import ArgumentParser
import Shared

/// Runs a tool's body and turns its outcome into the exit status the contract promises
/// (``ExitStatus``): 0 when every line succeeded, 1 when any did not, the status of the error's
/// kind when one stopped the run, and a quiet end when the reader of standard output has gone away.
public enum ToolRun {
    public static func run(_ diagnostics: Diagnostics, _ body: () throws -> Void) throws {
        defer {
            diagnostics.progress?.clear()
            Metrics.shared.flush()
        }
        do {
            try body()
        } catch is OutputClosed {
            return
        } catch let e as LTError {
            diagnostics.error(e.description)
            throw ExitCode(ExitStatus.of(e.kind))
        }
        if diagnostics.hasFailed { throw ExitCode.failure }
    }

    /// Each input in turn, opened lazily; an input that cannot be opened is an error and the rest go on.
    public static func forEachInput(_ paths: [String], _ diagnostics: Diagnostics, _ body: (LineReader) throws -> Void) throws {
        for path in paths {
            let reader: LineReader
            do { reader = try LineReader.open(path) } catch let e as LTError {
                diagnostics.error(e.description)
                continue
            }
            reader.progress = diagnostics.progress
            reader.periodic = diagnostics.periodic
            try body(reader)
        }
    }
}
