import ArgumentParser
import Testing

@testable import LTCommandLine
@testable import Shared

/// Options are typed as the parser reads them: a bad duration, URL, network or header is a usage error (exit 64).
@Suite struct ArgumentsTests {
    @Test func durationsShareOneSyntax() throws {
        let cases: [(String, Double)] = [
            ("500ms", 0.5), ("30s", 30), ("5m", 300), ("1h", 3600), ("7", 7), ("1.5", 1.5),
        ]
        for (text, seconds) in cases {
            #expect(DurationArgument(argument: text)?.seconds == seconds, "\(text)")
        }
        for bad in ["", "abc", "-1s", "5x", "1d", "ms", "nan", "infs"] {
            #expect(DurationArgument(argument: bad) == nil, "\(bad)")
        }
        #expect(DurationArgument(seconds: 0.02).description == "20ms")
        #expect(DurationArgument(seconds: 3600).description == "3600s")
        #expect(DurationListArgument(argument: "30s,1m,2h")?.seconds == [30, 60, 7200])
        #expect(DurationListArgument(argument: "30s,soon") == nil)
    }

    @Test func badValuesAreUsageErrorsAtParseTime() {
        let bad: [[String]] = [
            ["--url", "https://a.example", "--timeout", "soon"],
            ["--url", "https://a.example", "--grace", "-1"],
            ["--url", "ftp://a.example/x"],
            ["--url", "not a url"],
            ["--url", "https://a.example", "--allow-address", "10.0.0.0/99"],
            ["--url", "https://a.example", "-H", "Host:evil.example"],
            ["--url", "https://a.example", "-H", "X-A:one\r\nX-B: two"],
            ["--url", "https://a.example", "-H", "no-colon"],
            ["--url", "https://a.example", "-H", "Authorization:Bearer x", "--bearer-env", "TOKEN"],
            ["--integrations", "x.toml", "-H", "X-A:1"],
        ]
        for arguments in bad {
            do {
                _ = try SendArguments.parse(arguments)
                Issue.record("accepted \(arguments)")
            } catch {
                #expect(SendArguments.exitCode(for: error).rawValue == ExitStatus.usage, "\(arguments)")
            }
        }
        for arguments in [["--batch-window", "1 fortnight"], ["--statement-timeout", "x"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try LookupArguments.parse(arguments) }
        }
        #expect(throws: (any Error).self) { try CacheArguments.parse(["--cache-purge", "some"]) }
        #expect(throws: (any Error).self) { try InputOptions.parse(["--stats-interval", "often"]) }
        #expect(throws: (any Error).self) { try InputOptions.parse(["--log-level", "verbose"]) }
    }

    @Test func eachDefaultIsTheCoresOwn() throws {
        let send = try SendArguments.parse([
            "--url", "https://a.example/x", "-H", "X-Partner-Id: 42", "--bearer-env", "T",
        ])
        let options = try send.sendOptions()
        let core = SendOptions()
        #expect(options.timeout == core.timeout)
        #expect(options.grace == core.grace)
        #expect(options.breakerCooldown == core.breakerCooldown)
        #expect(options.retry.retries == core.retry.retries)
        #expect(options.retry.maxRetryAfter == core.retry.maxRetryAfter)
        #expect(options.concurrency == core.concurrency)
        #expect(options.urlHeaders.map { "\($0.name)=\($0.value)" } == ["X-Partner-Id=42"])
        #expect(options.urlBearerEnvironment == "T")

        let lookup = try LookupArguments.parse([]).lookupOptions()
        let coreLookup = LookupOptions()
        #expect(lookup.batchWindow == coreLookup.batchWindow)
        #expect(lookup.retryDelay == coreLookup.retryDelay)
        #expect(lookup.breakerCooldown == coreLookup.breakerCooldown)
        #expect(try WarehouseArguments.parse([]).tableSpec() == TableSpec())
        let enrich = try EnrichArguments.parse([]).enrichOptions()
        #expect(enrich.field == EnrichOptions().field)
        #expect(enrich.format == EnrichOptions().format)
    }

    @Test func exitStatusComesFromTheKindAlone() {
        #expect(ExitStatus.of(.failure) == 1)
        #expect(ExitStatus.of(.unavailable) == 1)
        #expect(ExitStatus.of(.configuration) == 2)
        #expect(ExitStatus.of(.usage) == 64)
        #expect(ExitStatus.of(.io) == 74)
        #expect(ExitStatus.of(IOError(.writing, "cannot write to <stdout>: No space left on device").kind) == 74)
        #expect(ExitStatus.of(WarehouseError.misconfigured("no table", hint: "").kind) == 2)
        #expect(ExitStatus.of(WarehouseError.unavailable("refused").kind) == 1)
    }

    @Test func usageErrorsFollowTheRequestedLogFormat() {
        #expect(LogFormat.requested(in: []) == .human)
        #expect(LogFormat.requested(in: ["--log-format", "json", "--bogus"]) == .json)
        #expect(LogFormat.requested(in: ["--log-format=json"]) == .json)
        #expect(LogFormat.requested(in: ["--", "--log-format=json"]) == .human)
        #expect(
            UsageHint.forValueMentioned(in: "The value 'x' is invalid for '--ttl <duration>'") == DurationArgument.hint)
    }
}
