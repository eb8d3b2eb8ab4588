import ArgumentParser
import Foundation
import Shared

@main
struct LtSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lt-send",
        abstract: "POST webhook payloads to integration partners and report each delivery.",
        discussion: """
            Reads envelopes (or bare payloads) and POSTs each payload, byte for byte, to its endpoint: \
            --url for all lines, or the integration named by the envelope's "integration" in the \
            --integrations file. Writes one result per input line: line, id, integration, url, status \
            (delivered, failed, rejected, skipped), http_status, attempts, duration_ms, error, learning_time. \
            Lines not delivered go to the --dead-letter file as they arrived, ready to be fed back.

            Example:
              lt-query < completions.ndjson | lt-enrich | lt-send --integrations integrations.toml --dead-letter failed.ndjson > results.ndjson

            Exit status: 0 when every line was delivered, 1 when any was not, 2 for configuration errors.
            """,
        version: LTVersion.current)

    @OptionGroup var io: InputOptions

    @Option(help: "Send every line to this URL.") var url: String?
    @Option(help: "TOML file mapping integration names to endpoints (see examples/integrations.toml).") var integrations: String?
    @Option(help: "Append lines that were not delivered to this file, as they arrived.") var deadLetter: String?
    @Option(help: "Further attempts after the first for retryable failures.") var retries = 3
    @Option(help: "Explicit delays before each retry, such as 30s,60s,120s.") var retrySchedule: String?
    @Option(help: "Seconds one attempt may take, with --url.") var timeout = "30s"
    @Option(help: "CA certificates file for https endpoints.") var cacert: String?
    @Flag(help: "Allow plain http endpoints (for test receivers).") var allowHttp = false
    @Flag(help: "Allow endpoints on loopback, private and link-local addresses.") var allowPrivate = false

    func validate() throws {
        if (url == nil) == (integrations == nil) { throw ValidationError("give exactly one of --url and --integrations") }
        if retries < 0 || retries > 20 { throw ValidationError("--retries must be from 0 to 20") }
    }

    func run() throws {
        let diagnostics = io.diagnostics(tool: "lt-send")
        try ToolRun.run(diagnostics) {
            var options = SendOptions()
            options.url = url
            options.integrations = try integrations.map { try IntegrationsConfig.load(path: $0) }
            options.deadLetterPath = deadLetter
            options.allowHTTP = allowHttp
            options.allowPrivate = allowPrivate
            options.caCertPath = cacert
            options.timeout = try DurationText.parse(timeout, option: "--timeout")
            options.retry.retries = retries
            if let retrySchedule { options.retry.schedule = try DurationText.parseList(retrySchedule, option: "--retry-schedule") }
            let sender = try Sender(options: options, environment: ProcessInfo.processInfo.environment,
                                    diagnostics: diagnostics, output: OutputWriter.standardOutput())
            defer {
                if io.stats {
                    diagnostics.raw(DeliveryStatus.allCases.map { "\($0.rawValue)=\(sender.counts[$0, default: 0])" }.joined(separator: " "))
                }
            }
            try ToolRun.forEachInput(io.paths, diagnostics) { try sender.run($0) }
        }
    }
}
