import ArgumentParser
import Testing

@testable import LTCommandLine
@testable import Shared

/// ToolRun turns how a run ended into the exit status, whatever was thrown.
@Suite struct ToolRunTests {
    struct NotOurs: Error {}

    /// The exit code a run ends with, or nil when it ends normally.
    func exitCode(_ body: () throws -> Void) -> Int32? {
        do {
            try ToolRun.run(Diagnostics(tool: "lt-test", threshold: .error, fd: -1), body)
            return nil
        } catch let e as ExitCode {
            return e.rawValue
        } catch {
            return -1
        }
    }

    @Test func anErrorThatIsNotAnLTErrorStillEndsWithAStatusAndAMessage() {
        #expect(exitCode { throw NotOurs() } == 1)
        let diagnostics = Diagnostics(tool: "lt-test", threshold: .error, fd: -1)
        _ = try? ToolRun.run(diagnostics) { throw NotOurs() }
        #expect(diagnostics.hasFailed)
    }

    @Test func eachKindHasItsStatusAndTheParsersOwnErrorsPassThrough() {
        #expect(exitCode {} == nil)
        #expect(exitCode { throw ConfigError("bad") } == 2)
        #expect(exitCode { throw IOError.write(path: "f", errno: 28, lines: 3) } == 74)
        #expect(exitCode { throw InputError("bad line") } == 1)
        #expect(exitCode { throw ExitCode(130) } == 130)
        #expect(exitCode { throw OutputClosed() } == nil)
    }
}
