import Foundation
import Testing

/// Metrics on a real UDP socket and in a Prometheus file, JSON logs without secrets, and the
/// live progress line under a pseudo-terminal.
@Suite struct OperabilityTests {
    @Test func pipelineSendsTheSpecificationsMetrics() throws {
        let dir = try Workdir()
        let db = try dir.sqliteWarehouse(PipelineTests.warehouseSQL)
        let receiver = try Receiver(in: dir)
        let udp = try UDPListener()
        let statsd = "statsd://127.0.0.1:\(udp.port)"
        let examples = Tool.packageRoot + "/examples/completions.ndjson"
        let out = try Tool.shell(
            """
            lt-query --warehouse "sqlite:$1" --cache-dir "$2" --metrics "$3" < "$4" \
              | lt-enrich --metrics "$3" | lt-send --url "$5" --allow-http --allow-private --metrics "$3" --metrics-file "$6"
            """, args: ["", db, dir.file("cache"), statsd, examples, receiver.url(), dir.file("lt-send.prom")],
            env: ["ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT": "true"])
        #expect(out.status == 0, "\(out.stderr)")
        let metrics = udp.lines().compactMap(StatsDLine.init)
        let names = Set(metrics.map(\.name))
        for expected in [
            "webhook.learning_time.query.duration", "webhook.learning_time.query.success",
            "webhook.learning_time.cache.hit_rate", "webhook.delivery.success_with_learning_time",
            "webhook.delivery.success_enrollment", "webhook.delivery.latency",
            "webhook.delivery.attempts", "webhook.enrichment.task.duration",
        ] {
            #expect(names.contains(expected), "no \(expected) in \(names.sorted())")
        }
        let with = metrics.filter { $0.name == "webhook.delivery.success_with_learning_time" }.map(\.value).reduce(0, +)
        let without = metrics.filter { $0.name == "webhook.delivery.success_without_learning_time" }.map(\.value)
            .reduce(0, +)
        // The two enrollments are not completions: they count under their own name.
        #expect(with == 4)
        #expect(without == 0)
        #expect(metrics.first { $0.name == "webhook.learning_time.query.duration" }?.type == "h")
        // No learner identifiers in tags.
        for m in metrics {
            for v in m.tags.values {
                #expect(!v.contains("course-v1") && !v.contains("12345") && !v.contains("a1b2c3d4"))
            }
        }
        // The Prometheus file, parsed line by line.
        let prom = dir.read("lt-send.prom")
        var samples: [String: Double] = [:]
        for line in prom.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "bad sample line \(line)")
            samples[String(parts[0])] = Double(parts[1])
        }
        #expect(prom.contains("# TYPE webhook_delivery_success_with_learning_time_total counter"))
        #expect(samples.first { $0.key.hasPrefix("webhook_delivery_success_with_learning_time_total") }?.value == 4)
        #expect(
            samples.keys.contains {
                $0.hasPrefix("webhook_delivery_latency_seconds_bucket") && $0.contains("le=\"+Inf\"")
            })
    }

    @Test func jsonLogsCarryLevelLocationAndNoSecrets() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir, mode: "status", status: 500)
        let token = "tok-" + UUID().uuidString
        let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try dir.write(
            "integrations.toml",
            """
            [integrations.p]
            url = "\(receiver.url("/status/500/x"))"
            retries = 1
            auth = { type = "bearer", token_env = "P_TOKEN" }
            signing = { secrets_env = "P_SECRET" }
            """)
        let out = try Tool.shell(
            """
            printf '%s\\n' '{"integration":"p","payload":{"a":1}}' 'oops' \
              | lt-send --integrations "$1" --allow-http --allow-private --retry-schedule 10ms --verbose \
                  --log-format json --dead-letter "$2"
            """, args: ["", dir.file("integrations.toml"), dir.file("dead")],
            env: ["P_TOKEN": token, "P_SECRET": secret])
        #expect(out.status == 1)
        let logLines = out.stderr.split(separator: "\n")
        #expect(!logLines.isEmpty)
        for line in logLines {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(obj?["timestamp"] is String && obj?["level"] is String && obj?["message"] is String, "\(line)")
        }
        #expect(logLines.contains { $0.contains("\"source\":\"<stdin>\",\"line\":2") })
        // The failed delivery's facts are in its context: the error and how many retries it had.
        let failed = try #require(logLines.first { $0.contains("not delivered to p") })
        let record = try #require(try JSONSerialization.jsonObject(with: Data(failed.utf8)) as? [String: Any])
        let context = try #require(record["context"] as? [String: Any])
        #expect(context["retry_count"] as? Int == 1)
        #expect((context["error"] as? String)?.contains("500") == true, "\(failed)")
        for text in [out.stdout, out.stderr, dir.read("dead")] {
            #expect(!text.contains(token))
            #expect(!text.contains(secret))
        }
        // The receiver did get the token: it was sent, just never shown.
        #expect(
            try receiver.requests().contains {
                ($0["headers"] as? [String: String])?["authorization"] == "Bearer \(token)"
            })
    }

    @Test func progressLineShowsOnATerminalOnly() throws {
        let dir = try Workdir()
        let input = (1...50_000).map { "{\"n\":\($0)}" }.joined(separator: "\n") + "\n"
        let path = try dir.write("input.ndjson", input)
        // `script` runs the tool under a pseudo-terminal and copies what it shows.
        let tty = try Tool.shell("script -qec \"$0 $1 > /dev/null\" /dev/null", args: [Tool.path("lt-enrich"), path])
        #expect(tty.stdout.contains("lt-enrich: "), "\(tty.stdout.suffix(300))")
        #expect(tty.stdout.contains("lines/s"))
        #expect(tty.stdout.contains("%"))
        let quiet = try Tool.shell(
            "script -qec \"$0 --no-progress $1 > /dev/null\" /dev/null", args: [Tool.path("lt-enrich"), path])
        #expect(!quiet.stdout.contains("lines/s"))
        let pipe = try Tool.run("lt-enrich", [path])
        #expect(!pipe.stderr.contains("lines/s"))
    }

    @Test func statsIntervalPrintsSummariesDuringTheRun() throws {
        let input = (1...3000).map { "{\"n\":\($0)}" }.joined(separator: "\n") + "\n"
        let out = try Tool.run("lt-enrich", ["--stats=json", "--stats-interval", "0.000001"], stdin: input)
        let summaries = out.stderr.split(separator: "\n").filter { $0.hasPrefix("{\"tool\":\"lt-enrich\"") }
        // One every 256 lines while running (the clock is checked that often), and the final one.
        #expect(summaries.count >= 10)
        #expect(summaries.last?.contains("\"lines\":3000") == true)
    }

    @Test func statsComeAsJSONToo() throws {
        let out = try Tool.run("lt-enrich", ["--flag", "on", "--stats=json"], stdin: "{\"a\":1}\nbad\n")
        let last = try #require(out.stderr.split(separator: "\n").last)
        let obj = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        #expect(obj?["lines"] as? Int == 2)
    }
}
