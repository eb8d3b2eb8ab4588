import ArgumentParser
import FoundationEssentials
import LTCommandLine
import Shared

struct LtSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-send",
        abstract: "POST webhook payloads to integration partners and report each delivery.",
        discussion: """
            Reads envelopes (or bare payloads) and POSTs each payload, byte for byte, to its endpoint: \
            --url for all lines, or the integration named by the envelope's "integration" in the \
            --integrations file. Many requests are in flight at once; a line waiting to be retried \
            never holds up the others.

            Writes one result per input line as soon as that line is final, so results may come out \
            of input order: each carries its line, source and id. Fields: line, source, id, integration, \
            url, status (delivered, failed, rejected, skipped), http_status, attempts, duration_ms, \
            error (with the endpoint's host:port and the cause), response (the first 4 KiB of a non-2xx \
            body), learning_time, finished_at. --attempts FILE logs every HTTP attempt.

            Outages: an endpoint's breaker opens after --breaker-failures attempts in a row with no \
            answer (refused, reset, DNS, TLS, timeout), or when failed answers (5xx, 408) are 50 % of \
            at least 50 attempts in 30 s, so a flaky partner never opens it; then its lines are held, not failed; one probe goes out per --breaker-cooldown, and when it is \
            answered the held lines go at full speed. Once an endpoint holds --max-held lines, input \
            reading stops until it is back. A line gives up only by its retry policy (--retries, \
            --retry-preset or --retry-schedule, --max-elapsed, which counts time held).

            Every line read ends delivered and journaled, or in the --dead-letter file as it arrived \
            (ready to be fed back), or skipped. With --journal (a SQLite file), each confirmed delivery \
            is recorded with its destination and time and synced before it is reported; a re-run with \
            the same journal skips ids already delivered to the same destination, unless \
            --resend-changed[=MIN] finds its learning time changed by MIN seconds or more (default 60): \
            then it is sent as a correction, a revision under a new webhook id (ID-revN) marked with the \
            lt-revision and lt-revision-of headers and learning_time.revision (docs/contract.md). The \
            journal and the dead-letter file are locked: a second lt-send on them exits 2, naming the \
            first one's pid.

            An envelope id must be 1 to 256 visible ASCII characters; a line whose id is not is \
            rejected and dead-lettered, never sent nor journaled. The integrations file is checked \
            whole at start-up: unknown keys, header names and values, headers lt-send sets itself, \
            empty secrets, and every URL (parsed by libcurl; no user:password@).

            When a line cannot be recorded (full disk), or standard output closes (| head), no more \
            input is read, transfers in flight finish, lines read and not sent are dead-lettered, and \
            lt-send exits 74 (cannot record) or 1 (output closed).

            SIGINT or SIGTERM: no more input is read, transfers in flight get --grace to finish, the \
            rest is dead-lettered as interrupted, and lt-send exits 130 or 143.

            Safety: https only unless --allow-http; TLS 1.2 or later, verified (--cacert, else \
            CURL_CA_BUNDLE or SSL_CERT_FILE, else the system's CAs); --cert/--key (or tls in the \
            integrations file) for partners that require a client certificate; redirects not followed. \
            Each address a name resolves to is checked before its socket connects: it must be public \
            unless --allow-private or --allow-address allows it (behind HTTPS_PROXY, the proxy's \
            address), and every refusal reads the same. libcurl's HTTPS_PROXY and NO_PROXY apply. \
            Client certificates and keys are loaded and checked at start-up whatever the URL's scheme \
            (a junk certificate, a key that does not match, a missing or wrong passphrase: exit 2); \
            lt-send never prompts for a passphrase. Results and logs show URLs without their query \
            string. Secrets come from environment variables or files named in the integrations file \
            and are never printed, --verbose and --dry-run included; they are masked in what a \
            partner or a token endpoint sends back (response, error, the attempt log). Its files are \
            never written through a symbolic link, and those holding learner data are created 0600.

            Examples:
              lt-query < completions.ndjson | lt-enrich | lt-send \\
                --integrations integrations.toml --journal sent.journal \\
                --dead-letter failed.ndjson > results.ndjson
              lt-send --url https://hooks.example.com/lt -H X-Partner-Id:42 \\
                --bearer-env PARTNER_TOKEN < enriched.ndjson

            Exit status: 0 when every line was delivered or skipped as already delivered, 1 when any \
            was not (or standard output closed), 2 for configuration errors, 64 for usage errors, 74 \
            when a file or stream cannot be read or written, or lines could not be recorded.
            """,
        version: LTVersion.report(tool: "lt-send"))

    @OptionGroup var io: InputOptions
    @OptionGroup var send: SendArguments

    func run() throws {
        try io.run(tool: "lt-send") { diagnostics, metrics in
            let sender = try Sender(
                options: try send.sendOptions(), environment: ProcessInfo.processInfo.environment,
                diagnostics: diagnostics, metrics: metrics, output: OutputWriter.standardOutput(),
                signals: StopSignals())
            defer { io.report(sender.stats, diagnostics) }
            io.reportPeriodically(diagnostics) { sender.stats }
            try ToolRun.forEachInput(io.paths, diagnostics) { try sender.run($0) }
            try sender.finish()
            if let status = sender.signalExitStatus { throw ExitCode(status) }
        }
    }
}
