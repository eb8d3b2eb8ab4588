import ArgumentParser
import Shared

/// Runs a tool's body and turns its outcome into the exit status the contract promises
/// (``ExitStatus``): 0 when every line succeeded, 1 when any did not, the status of the error's
/// kind when one stopped the run, and a quiet end when the reader of standard output has gone away.
public enum ToolRun {
    public static func run(_ diagnostics: Diagnostics, metrics: Metrics? = nil, _ body: () throws -> Void) throws {
        defer {
            diagnostics.hooks.line?.clear()
            diagnostics.reportRepeats()
            metrics?.flush()
        }
        do {
            try body()
        } catch is OutputClosed {
            return
        } catch let e as LTError {
            diagnostics.error(e)
            throw ExitCode(ExitStatus.of(e.kind))
        } catch  where error is ExitCode || error is ValidationError || error is CleanExit {
            throw error
        } catch {
            // Every error of lt's own is an LTError; anything else (a library's) still ends the run
            // with a message through diagnostics rather than the parser's bare "Error: …".
            diagnostics.error(
                "unexpected error: \(error)", hint: "this is a bug; please report it with the command that led to it")
            throw ExitCode(ExitStatus.failure)
        }
        if diagnostics.hasFailed { throw ExitCode.failure }
    }

    /// Runs a step before the run proper (the metrics sink): an ``LTError`` is written through
    /// `diagnostics` and ends the process with its kind's exit status, as in ``run(_:metrics:_:)``.
    public static func setUp<T>(_ diagnostics: Diagnostics, _ step: () throws -> T) throws -> T {
        do {
            return try step()
        } catch let e as LTError {
            diagnostics.error(e)
            throw ExitCode(ExitStatus.of(e.kind))
        }
    }

    /// Each input in turn, opened lazily; an input that cannot be opened is an error and the rest go on.
    public static func forEachInput(_ paths: [String], _ diagnostics: Diagnostics, _ body: (LineReader) throws -> Void)
        throws
    {
        for path in paths {
            let reader: LineReader
            do { reader = try LineReader.open(path) } catch let e as LTError {
                diagnostics.error(e)
                continue
            }
            let progress = diagnostics.hooks.line
            let periodic = diagnostics.hooks.periodic
            progress?.totalBytes = reader.regularFileSize
            if progress != nil || periodic != nil {
                reader.onLine = { bytes in
                    progress?.count(lineBytes: bytes)
                    periodic?.lineRead()
                }
            }
            // While the input is waited for, the periodic report and the progress line still keep time.
            if periodic != nil || progress != nil {
                let wait = min(periodic?.waitMilliseconds ?? 200, 200)
                reader.tick = (
                    wait,
                    {
                        periodic?.tick()
                        progress?.refresh()
                    }
                )
            }
            try body(reader)
        }
    }
}
