import Foundation
import Testing

/// Metrics, logs and progress as the specification and the Datadog and Prometheus conventions
/// define them: a real UDP socket, the real node_exporter, and a pseudo-terminal.
@Suite struct ObservabilityTests {
    static let examples = Tool.packageRoot + "/examples/completions.ndjson"

    @Test func datadogEnvironmentAndMetricsTagsTagEveryMetric() throws {
        let udp = try UDPListener()
        let out = try Tool.run(
            "lt-enrich", ["--flag", "on", "--metrics-tag", "pipeline:backfill", Self.examples],
            env: [
                "DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": "\(udp.port)", "DD_ENV": "staging",
                "DD_SERVICE": "lt",
                "DD_VERSION": "1.4.0", "DD_TAGS": "team:data,region:eu",
            ])
        #expect(out.status == 0, "\(out.stderr)")
        let metrics = udp.lines().compactMap(StatsDLine.init)
        let omitted = metrics.filter { $0.name == "webhook.enrichment.omitted" }
        #expect(omitted.map(\.value).reduce(0, +) == 6)
        for m in metrics {
            #expect(m.tags["env"] == "staging" && m.tags["service"] == "lt" && m.tags["version"] == "1.4.0", "\(m)")
            #expect(m.tags["team"] == "data" && m.tags["region"] == "eu" && m.tags["pipeline"] == "backfill")
            #expect(m.tags["tool"] == "lt-enrich")
        }
        let bad = try Tool.run("lt-enrich", ["--metrics-tag", "a b:c"], stdin: "")
        #expect(bad.status == 64, "\(bad.stderr)")
    }

    @Test func metricsMeanWhatTheSpecificationSays() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let udp = try UDPListener()
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --no-cache --flag on --metrics "$2" < "$3" \
              | lt-enrich --flag on | lt-send --url "$4" --allow-http --allow-private --metrics "$2"
            """, args: ["", db, "statsd://127.0.0.1:\(udp.port)", Self.examples, receiver.url()])
        #expect(out.status == 0, "\(out.stderr)")
        let metrics = udp.lines().compactMap(StatsDLine.init)
        func sum(_ name: String, tool: String? = nil) -> Double {
            metrics.filter { $0.name == name && (tool == nil || $0.tags["tool"] == tool) }.map(\.value).reduce(0, +)
        }
        // Four completions, all with learning time; the two enrollments are counted apart.
        #expect(sum("webhook.delivery.success_with_learning_time") == 4)
        #expect(sum("webhook.delivery.success_without_learning_time") == 0)
        #expect(sum("webhook.delivery.success_enrollment") == 2)
        #expect(sum("webhook.enrichment.task.queued", tool: "lt-query") == 6)
        #expect(sum("webhook.enrichment.task.queued", tool: "lt-send") == 6)
        // --no-cache: no hit rate, so the "cache not helping" alert has nothing to fire on; the
        // counters an alert divides by are sent at 0 though nothing counted them.
        #expect(!metrics.contains { $0.name == "webhook.learning_time.cache.hit_rate" })
        #expect(metrics.contains { $0.name == "webhook.learning_time.query.failure" && $0.value == 0 })
        let backlog = try #require(
            metrics.last { $0.name == "webhook.enrichment.task.backlog" && $0.tags["tool"] == "lt-send" })
        #expect(backlog.value == 0)
        // The task duration in seconds: these six lines take well under a minute end to end.
        let durations = metrics.filter { $0.name == "webhook.enrichment.task.duration" }
        #expect(durations.count == 6)
        #expect(durations.allSatisfy { $0.type == "h" && $0.value < 60 })
    }

    @Test func nodeExporterReadsTheThreeToolsFilesFromOneFolder() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let textfiles = dir.file("textfiles")
        try FileManager.default.createDirectory(atPath: textfiles, withIntermediateDirectories: true)
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --no-cache --flag on --metrics-file "$2/lt-query.prom" < "$3" \
              | lt-enrich --flag on --metrics-file "$2/lt-enrich.prom" \
              | lt-send --url "$4" --allow-http --allow-private --metrics-file "$2/lt-send.prom" --metrics-tag site:test
            """, args: ["", db, textfiles, Self.examples, receiver.url()])
        #expect(out.status == 0, "\(out.stderr)")
        for tool in ["lt-query", "lt-enrich", "lt-send"] {
            let text = dir.read("textfiles/\(tool).prom")
            #expect(text.contains("# HELP ") && text.contains("# TYPE "), "\(tool): \(text)")
        }
        let exporter = try NodeExporter(textfiles: textfiles)
        let scraped = try exporter.scrape()
        let log = exporter.stop()
        let samples = PromSample.parse(scraped)
        #expect(samples.first { $0.name == "node_textfile_scrape_error" }?.value == 0, "\(log)")
        #expect(!log.contains("collected before") && !log.contains("level=error"), "\(log)")
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            samples.first { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }?.value
        }
        #expect(value("webhook_delivery_success_with_learning_time_total", ["tool": "lt-send", "site": "test"]) == 4)
        #expect(value("webhook_delivery_success_enrollment_total", ["tool": "lt-send"]) == 2)
        #expect(value("webhook_enrichment_enriched_total", ["tool": "lt-enrich"]) == 4)
        #expect(value("webhook_enrichment_task_queued_total", ["tool": "lt-query"]) == 6)
        #expect(value("webhook_enrichment_task_queued_total", ["tool": "lt-send"]) == 6)
        #expect(value("webhook_enrichment_task_backlog", ["tool": "lt-send"]) == 0)
        #expect(value("webhook_learning_time_query_success_total", ["tool": "lt-query", "status": "found"]) == 4)
        // A --no-cache run reports no hit rate: the "cache not helping" alert is not for it.
        #expect(value("webhook_learning_time_cache_hit_rate_percent", ["tool": "lt-query"]) == nil)
        // The counters the alerts divide by are there at 0 though nothing counted them.
        #expect(value("webhook_learning_time_query_failure_total", ["tool": "lt-query"]) == 0)
        #expect(value("webhook_delivery_success_without_learning_time_total", ["tool": "lt-send"]) == 0)
        #expect(value("webhook_delivery_latency_seconds_count", ["tool": "lt-send"]) != nil)
        let infinite = samples.filter {
            $0.name == "webhook_enrichment_task_duration_seconds_bucket" && $0.labels["le"] == "+Inf"
        }
        #expect(infinite.map(\.value).reduce(0, +) == 6)
        #expect(value("webhook_enrichment_task_duration_seconds_bucket", ["le": "60"]) != nil)
    }

    @Test func onlyTheLastToolOfAPipelineDrawsProgressOnATerminal() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let example = try String(contentsOfFile: Self.examples, encoding: .utf8)
        let input = try dir.write("input.ndjson", String(repeating: example, count: 300))
        // `script` gives the three tools one pseudo-terminal as their stderr, as a shell would.
        let pipeline =
            "\(Tool.path("lt-query")) --warehouse sqlite:\(db) --no-cache --flag on < \(input)"
            + " | \(Tool.path("lt-enrich")) --flag on"
            + " | \(Tool.path("lt-send")) --url http://127.0.0.1:9/x --allow-http --allow-private --dry-run > /dev/null"
        let tty = try Tool.shell("script -qec \"$0\" /dev/null", args: [pipeline])
        #expect(tty.status == 0, "\(tty.stdout.suffix(500))")
        #expect(tty.stdout.contains("lt-send: "), "\(tty.stdout.suffix(500))")
        #expect(tty.stdout.contains("lines/s"))
        for upstream in ["lt-query", "lt-enrich"] {
            let drew = (0...9).contains { tty.stdout.contains("\(upstream): \($0)") }
            #expect(!drew, "\(upstream) drew a progress line: \(tty.stdout.suffix(500))")
        }
    }

    /// The progress line keeps up with the input: a burst of lines followed by a pause shows the
    /// burst's full count (the line used to be redrawn only every 256 lines, so it froze at the first).
    @Test func progressLineShowsEveryLineReadWhenTheInputPauses() throws {
        // `script` gives lt-enrich a terminal as its stderr; what it draws comes out on our stderr.
        let t = try Interactive(
            "/bin/bash",
            ["-c", "exec script -qfec \"$0\" /dev/null 1>&2", Tool.path("lt-enrich") + " --flag on > /dev/null"])
        for round in 1...2 {
            for _ in 0..<300 { try t.send(#"{"payload":{"a":1}}"#) }
            // No more input: the count is redrawn by the clock while lt-enrich waits.
            #expect(t.awaitStderr("lt-enrich: \(round * 300) lines"), "\(t.stderr.suffix(300))")
        }
    }

    @Test func statsIntervalPrintsOnTimeWhenInputTrickles() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        for (tool, args) in [
            ("lt-enrich", ["--flag", "on"]),
            ("lt-send", ["--url", receiver.url(), "--allow-http", "--allow-private"]),
        ] {
            let t = try Interactive(tool, args + ["--stats", "--stats-interval", "0.2"])
            _ = try t.ask(#"{"payload":{"a":1}}"#)
            // One line only, and no more input: the summary must come by the clock, not by the next line.
            #expect(t.awaitStderr("\(tool): lines: 1  errors: 0"), "\(tool): \(t.stderr)")
            let (status, _) = try t.finish()
            #expect(status == 0)
        }
    }

    @Test func statsHaveTheSameShapeInEveryTool() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --no-cache --flag on --stats=json < "$2" 2> "$4" \
              | lt-enrich --flag on --stats=json 2> "$5" | lt-send --url "$3" --allow-http --allow-private --stats=json 2> "$6"
            """, args: ["", db, Self.examples, receiver.url(), dir.file("q"), dir.file("e"), dir.file("s")])
        #expect(out.status == 0)
        for (file, tool, latency) in [("q", "lt-query", true), ("e", "lt-enrich", false), ("s", "lt-send", true)] {
            let last = try #require(dir.read(file).split(separator: "\n").last)
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            #expect(obj["tool"] as? String == tool)
            #expect(obj["lines"] as? Int == 6)
            #expect(obj["errors"] as? Int == 0)
            if latency {
                let l = try #require(obj["latency"] as? [String: Any], "\(tool)")
                #expect(
                    l["p50_ms"] is Double && l["p95_ms"] is Double && l["p99_ms"] is Double && l["max_ms"] is Double)
            }
        }
        let text = try Tool.run("lt-enrich", ["--stats"], stdin: "{}\n")
        #expect(text.stderr.contains("lt-enrich: lines: 1  errors: 0"))
    }

    @Test func lookupsAreLoggedWithTheirFactsInAContextObject() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let unknown = PipelineTests.completion.replacingOccurrences(of: "12345", with: "99999")
        let input = try String(contentsOfFile: Self.examples, encoding: .utf8) + unknown + "\n"
        let json = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:\(db)", "--no-cache", "--flag", "on", "-v", "--log-format", "json"],
            stdin: input)
        #expect(json.status == 0, "\(json.stderr)")
        let records = json.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let found = records.filter { $0["message"] as? String == "learning time found" }
        #expect(found.count == 4, "\(json.stderr)")
        let context = try #require(found.first?["context"] as? [String: Any])
        #expect(found.first?["level"] as? String == "INFO")
        #expect(context["user_id"] is Int && context["course_id"] is String && context["enterprise_uuid"] is String)
        #expect(context["query_duration_ms"] is Double && context["source"] as? String == "warehouse")
        #expect(context["total_seconds"] is Int)
        let none = try #require(
            records.first {
                $0["level"] as? String == "WARNING" && ($0["message"] as? String)?.contains("no learning time") == true
            })
        #expect((none["context"] as? [String: Any])?["user_id"] as? Int == 99999)
        // "No data" shows at the default level, "found" only with -v.
        let plain = try Tool.run(
            "lt-query", ["--warehouse", "sqlite:\(db)", "--no-cache", "--flag", "on"], stdin: input)
        #expect(plain.stderr.contains("lt-query: warning: no learning time data"), "\(plain.stderr)")
        #expect(!plain.stderr.contains("learning time found"))
    }

    @Test func enrichVerboseSaysPerLineWhatItDid() throws {
        let out = try Tool.run("lt-enrich", ["--flag", "on", "-v", Self.examples])
        #expect(out.status == 0)
        let lines = out.stderr.split(separator: "\n")
        for n in 1...6 { #expect(lines.contains { $0.contains(":\(n)): ") }, "line \(n): \(out.stderr)") }
        #expect(lines.filter { $0.contains("passed on without learning time") && $0.contains("reason=") }.count == 6)
    }

    @Test func aLongRunWithTheSameProblemStaysReadable() throws {
        let input = String(repeating: "not json\n", count: 20_000)
        let out = try Tool.run("lt-enrich", ["--flag", "on"], stdin: input)
        #expect(out.status == 1)
        #expect(out.stdout.split(separator: "\n").count == 20_000)
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.count < 10, "\(lines.count) stderr lines")
        #expect(lines.contains { $0.contains("19995 more like") }, "\(out.stderr)")
        let verbose = try Tool.run(
            "lt-enrich", ["--flag", "on", "--log-level", "info"], stdin: String(repeating: "not json\n", count: 50))
        #expect(verbose.stderr.split(separator: "\n").filter { $0.contains("error (at <stdin>:") }.count == 50)
    }

    @Test func logLevelTakesExactlyTheNamesItsHelpShows() throws {
        for name in ["debug", "info", "warning", "error"] {
            #expect(try Tool.run("lt-enrich", ["--log-level", name], stdin: "").status == 0, "\(name)")
        }
        for name in ["WARNING", "warn", "fatal"] {
            #expect(try Tool.run("lt-enrich", ["--log-level", name], stdin: "").status == 64, "\(name)")
        }
        let help = try Tool.run("lt-enrich", ["--help"])
        #expect(help.stdout.contains("debug, info, warning"), "\(help.stdout)")
    }

    @Test func lookupWarnsOnceWhenTheFlagIsOff() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let out = try Tool.run("lt-query", ["--warehouse", "sqlite:\(db)", "--no-cache", Self.examples])
        #expect(out.status == 0)
        #expect(out.stderr.components(separatedBy: "enrichment is off").count == 2, "\(out.stderr)")
    }
}

/// The real `prometheus-node-exporter` (Debian's) with only its textfile collector, on a free
/// loopback port, stopped when released.
final class NodeExporter {
    let process = Process()
    let port: Int
    private let errors = Pipe()
    private var logText = ""

    init(textfiles: String) throws {
        let binary = "/usr/bin/prometheus-node-exporter"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure("prometheus-node-exporter is not installed; run scripts/setup-system.sh")
        }
        port = try NodeExporter.freePort()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults",
            "--collector.textfile", "--collector.textfile.directory=\(textfiles)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // It says "Listening on" once its port is open; its log is read as it comes until then.
        let handle = errors.fileHandleForReading
        while !logText.contains("Listening on") {
            let chunk = handle.availableData
            if chunk.isEmpty { throw TestFailure("node_exporter ended: \(logText)") }
            logText += String(decoding: chunk, as: UTF8.self)
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The exporter's /metrics page.
    func scrape() throws -> String {
        let out = try Tool.shell("curl -sSf \"$0\"", args: ["http://127.0.0.1:\(port)/metrics"])
        guard out.status == 0 else {
            throw TestFailure("node_exporter did not answer on 127.0.0.1:\(port): \(out.stderr)")
        }
        return out.stdout
    }

    /// Stops the exporter and returns everything it logged.
    func stop() -> String {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        logText += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return logText
    }

    static func freePort() throws -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0
            }
        }
        guard ok else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// One sample of the Prometheus text format: `name{k="v",…} value`.
struct PromSample {
    let name: String
    let labels: [String: String]
    let value: Double

    static func parse(_ text: String) -> [PromSample] {
        text.split(separator: "\n").compactMap { line -> PromSample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let v = Double(line[line.index(after: space)...])
            else { return nil }
            let head = line[..<space]
            guard let brace = head.firstIndex(of: "{") else {
                return PromSample(name: String(head), labels: [:], value: v)
            }
            var labels: [String: String] = [:]
            for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { labels[String(kv[0])] = String(kv[1].dropFirst().dropLast()) }
            }
            return PromSample(name: String(head[..<brace]), labels: labels, value: v)
        }
    }
}
