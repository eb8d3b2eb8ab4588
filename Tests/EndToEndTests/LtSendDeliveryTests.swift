import Foundation
import Testing

/// lt-send against a real recording receiver on 127.0.0.1: status classes, retries, back-pressure.
@Suite struct LtSendDeliveryTests {
    /// An integrations file routing each integration to a path of `receiver`.
    static func integrations(
        _ dir: Workdir, _ receiver: Receiver, _ routes: [String: String], extra: [String: String] = [:]
    ) throws -> String {
        try SendFixtures.integrations(in: dir, routes.mapValues { receiver.url($0) }, extra: extra)
    }

    @Test func eachStatusClassEndsAsTheSpecificationSays() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try Self.integrations(
            dir, receiver,
            [
                "ok": "/ok/a", "flaky": "/flaky/2/a", "server": "/status/500/a", "notfound": "/status/404/a",
                "redirect": "/redirect/a", "closing": "/close/a", "throttled": "/status/429/a",
            ])
        let names = ["ok", "flaky", "server", "notfound", "redirect", "closing", "throttled"]
        let input = names.enumerated().map {
            SendFixtures.line("id-\($0.element)", integration: $0.element, n: $0.offset) + "\n"
        }.joined()
        let out = try Tool.run(
            "lt-send",
            [
                "--integrations", config, "--allow-http", "--allow-private", "--retries", "2",
                "--retry-schedule", "10ms", "--dead-letter", dir.file("dead.ndjson"),
            ], stdin: input)
        #expect(out.status == 1)
        let results = try out.resultsByLine()
        func result(_ name: String) -> [String: Any] { results[names.firstIndex(of: name)! + 1] ?? [:] }
        #expect(result("ok")["status"] as? String == "delivered")
        #expect(result("ok")["attempts"] as? Int == 1)
        #expect(result("flaky")["status"] as? String == "delivered")
        #expect(result("flaky")["attempts"] as? Int == 3)
        for retried in ["server", "closing", "throttled"] {
            #expect(result(retried)["status"] as? String == "failed", "\(retried)")
            #expect(result(retried)["attempts"] as? Int == 3, "\(retried)")
            #expect((result(retried)["error"] as? String)?.contains("gave up after 3 attempts") == true, "\(retried)")
        }
        for permanent in ["notfound", "redirect"] {
            #expect(result(permanent)["status"] as? String == "failed", "\(permanent)")
            #expect(result(permanent)["attempts"] as? Int == 1, "\(permanent)")
        }
        #expect(result("redirect")["http_status"] as? Int == 302)
        // The redirect was not followed.
        #expect(try receiver.requests(under: "/ok/elsewhere").isEmpty)
        // Retries keep the webhook id.
        let flakyIDs = try receiver.requests(under: "/flaky").compactMap {
            ($0["headers"] as? [String: Any])?["webhook-id"] as? String
        }
        #expect(flakyIDs == ["id-flaky", "id-flaky", "id-flaky"])
        // Everything not delivered is dead-lettered as it arrived.
        let dead = dir.read("dead.ndjson").split(separator: "\n").map(String.init)
        #expect(
            Set(dead)
                == Set(
                    ["server", "notfound", "redirect", "closing", "throttled"].map { name in
                        input.split(separator: "\n").map(String.init).first { $0.contains("\"id-\(name)\"") }!
                    }))
    }

    @Test func goneEndpointDeadLettersItsRemainingLinesAtOnce() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/status/410/x"), "--allow-http", "--allow-private", "--concurrency", "1",
                "--dead-letter", dir.file("dead.ndjson"),
            ], stdin: SendFixtures.lines(5))
        #expect(out.status == 1)
        #expect(try receiver.requests().count == 1)
        let results = try out.resultsByLine()
        #expect(results.count == 5)
        #expect(results.values.allSatisfy { $0["status"] as? String == "failed" })
        #expect((results[3]?["error"] as? String)?.contains("410 Gone") == true)
        #expect(results[3]?["attempts"] as? Int == 0)
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 5)
    }

    @Test func retryAfterIsHonouredAndARetryingLineDoesNotHoldUpOthers() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try Self.integrations(dir, receiver, ["slow": "/retry-after/1/x", "fast": "/ok/x"])
        let input =
            SendFixtures.line("r-1", integration: "slow") + "\n"
            + SendFixtures.lines(3, prefix: "f", integration: "fast")
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--retry-schedule", "10ms"],
            stdin: input)
        #expect(out.status == 0, "\(out.stderr)")
        let results = try out.records()
        // Results come as lines become final: the line waiting on Retry-After comes last.
        #expect(results.map { $0["line"] as? Int }.last == 1)
        #expect(Set(results.map { $0["line"] as? Int }) == [1, 2, 3, 4])
        #expect(results.last?["attempts"] as? Int == 2)
        let slow = try receiver.requests(under: "/retry-after")
        try #require(slow.count == 2)
        let gap = (slow[1]["time"] as! Double) - (slow[0]["time"] as! Double)
        #expect(gap >= 0.95, "Retry-After: 1 was not honoured (retried after \(gap) s, schedule says 10 ms)")
    }

    /// A partner answering 503 to everything opens the breaker by the rate rule: 50 % of at least
    /// 50 attempts (one at a time here, so exactly 50 go out). The rest are held until
    /// --max-elapsed and name the cause. The old rule (3 in a row) sent 3.
    @Test func circuitBreakerHoldsLinesUntilMaxElapsedAndNamesTheCause() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/status/503/x"), "--allow-http", "--allow-private", "--retries", "0",
                "--concurrency", "1", "--breaker-failures", "3", "--breaker-cooldown", "10m",
                "--max-elapsed", "300ms", "--dead-letter", dir.file("dead.ndjson"),
            ], stdin: SendFixtures.lines(60))
        #expect(out.status == 1)
        #expect(try receiver.requests().count == 50)
        let results = try out.resultsByLine()
        for line in 51...60 {
            #expect(results[line]?["attempts"] as? Int == 0)
            let error = results[line]?["error"] as? String ?? ""
            #expect(
                error.contains("circuit breaker")
                    && error.contains("opened by: 127.0.0.1:\(receiver.port) answered 503"), "\(error)")
        }
        #expect(dir.read("dead.ndjson").split(separator: "\n").count == 60)
    }

    /// A partner that drops every connection (no answer) opens the breaker as fast as before: after
    /// --breaker-failures attempts in a row.
    @Test func connectionFailuresOpenTheBreakerAfterBreakerFailuresInARow() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/close/x"), "--allow-http", "--allow-private", "--retries", "0",
                "--concurrency", "1", "--breaker-failures", "3", "--breaker-cooldown", "10m",
                "--max-elapsed", "300ms",
            ], stdin: SendFixtures.lines(8))
        #expect(out.status == 1)
        #expect(try receiver.requests().count == 3)
        let results = try out.resultsByLine()
        for line in 4...8 {
            #expect(results[line]?["attempts"] as? Int == 0)
            #expect((results[line]?["error"] as? String ?? "").contains("circuit breaker"))
        }
    }

    /// A partner answering 30 % of requests with 503, in runs of 6 in a row (more than the 5 that
    /// opened the old breaker), never opens it: every line is delivered and none waits on a breaker.
    @Test func aFlakyPartnerNeverOpensTheBreaker() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/every/20/6/x"), "--allow-http", "--allow-private", "--retries", "10",
                "--retry-schedule", "1ms", "--concurrency", "4", "--breaker-cooldown", "10m",
                "--max-elapsed", "1m",
            ], stdin: SendFixtures.lines(120))
        #expect(out.status == 0, "\(out.stderr.suffix(500))")
        let results = try out.records()
        #expect(results.count == 120 && results.allSatisfy { $0["status"] as? String == "delivered" })
        #expect(!out.stderr.contains("circuit breaker"), "\(out.stderr.suffix(500))")
        let answered = try receiver.requests().compactMap { $0["answered"] as? Int }
        #expect(answered.filter { $0 == 200 }.count == 120)
        // 6 of every 20 requests failed: 120 successes took about 51 failures.
        #expect(answered.filter { $0 == 503 }.count >= 48)
    }

    @Test func rateLimitsSpaceRequestsEvenly() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        // 600 a minute is one every 100 ms; the global --rate of 20/s alone would allow one every 50 ms.
        let config = try Self.integrations(
            dir, receiver, ["paced": "/ok/x"], extra: ["paced": "max_requests_per_minute = 600"])
        let out = try Tool.run(
            "lt-send", ["--integrations", config, "--allow-http", "--allow-private", "--rate", "20"],
            stdin: SendFixtures.lines(6, integration: "paced"))
        #expect(out.status == 0, "\(out.stderr)")
        let times = try receiver.requests().map { $0["time"] as! Double }.sorted()
        try #require(times.count == 6)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // Evenly spaced: request i comes no sooner than i slots of 100 ms after the first (half a slot
        // of slack). A burst fails this; a request the loaded machine made late, followed by one on
        // time, does not (the pace keeps its schedule, so the gap after a late one is shorter).
        for (i, t) in times.enumerated() {
            #expect(t - times[0] >= 0.1 * Double(i) - 0.05, "request \(i) came too soon: gaps \(gaps)")
        }
    }

    @Test func maxElapsedEndsRetriesEarly() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/status/500/x"), "--allow-http", "--allow-private", "--retries", "10",
                "--retry-schedule", "400ms", "--max-elapsed", "500ms", "--breaker-failures", "0",
            ],
            stdin: SendFixtures.lines(1))
        #expect(out.status == 1)
        let r = try #require(try out.records().first)
        #expect((r["attempts"] as? Int ?? 0) < 4)
        #expect((r["error"] as? String)?.contains("--max-elapsed") == true)
    }

    @Test func badLinesAreRejectedWithAReasonAndTheRestDelivered() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let config = try Self.integrations(dir, receiver, ["known": "/ok/x"])
        let errorRecord =
            #"{"id":"e1","error":{"tool":"lt-query","source":"<stdin>","line":4,"message":"missing user.id"},"input":"{}"}"#
        let input =
            [
                errorRecord, "not json", #"{"id":"p1","integration":"known","payload":null}"#,
                SendFixtures.line("u1", integration: "stranger"), SendFixtures.line("ok1", integration: "known"),
                SendFixtures.line("nodefault"),
            ].joined(separator: "\n") + "\n"
        let out = try Tool.run(
            "lt-send",
            ["--integrations", config, "--allow-http", "--allow-private", "--dead-letter", dir.file("dead.ndjson")],
            stdin: input)
        #expect(out.status == 1)
        let r = try out.resultsByLine()
        #expect(r.count == 6)
        for line in [1, 2, 3, 4, 6] { #expect(r[line]?["status"] as? String == "rejected", "line \(line)") }
        #expect((r[1]?["error"] as? String)?.contains("lt-query at <stdin>:4: missing user.id") == true)
        #expect((r[2]?["error"] as? String)?.contains("not valid JSON") == true)
        #expect((r[3]?["error"] as? String)?.contains("payload") == true)
        #expect((r[4]?["error"] as? String)?.contains("unknown integration \"stranger\" (known: known)") == true)
        #expect((r[6]?["error"] as? String)?.contains("names no integration") == true)
        #expect(r[5]?["status"] as? String == "delivered")
        #expect(try receiver.requests().count == 1)
        #expect(
            dir.read("dead.ndjson")
                == input.split(separator: "\n").enumerated().filter { $0.offset != 4 }.map { $0.element + "\n" }
                .joined())
    }

    @Test func deadLetterFileReplaysAsIs() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let first = try Tool.run(
            "lt-send",
            [
                "--url", receiver.url("/status/500/x"), "--allow-http", "--allow-private", "--retries", "0",
                "--breaker-failures", "0", "--dead-letter", dir.file("dead.ndjson"),
            ], stdin: SendFixtures.lines(4))
        #expect(first.status == 1)
        let replay = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", dir.file("dead.ndjson")])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try replay.records().allSatisfy { $0["status"] as? String == "delivered" })
        let ids = try receiver.requests(under: "/ok").compactMap {
            ($0["headers"] as? [String: Any])?["webhook-id"] as? String
        }
        #expect(Set(ids) == Set((1...4).map { "msg-\($0)" }))
    }

    @Test func statsCountByStatusAndEndpointWithLatencies() throws {
        let dir = try Workdir()
        let receiver = try Receiver(in: dir)
        let out = try Tool.run(
            "lt-send", ["--url", receiver.url("/ok/x"), "--allow-http", "--allow-private", "--stats"],
            stdin: SendFixtures.lines(3) + "oops\n")
        #expect(out.status == 1)
        #expect(out.stderr.contains("lt-send: lines: 4  errors: 1"))
        #expect(out.stderr.contains("deliveries: delivered=3 failed=0 rejected=1 skipped=0 attempts=3"))
        #expect(out.stderr.contains("endpoint --url: delivered=3"))
        #expect(out.stderr.contains("http: 200=3"))
        #expect(out.stderr.contains("latency: p50="))
    }
}
