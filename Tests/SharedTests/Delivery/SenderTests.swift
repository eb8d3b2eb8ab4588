import Foundation
import Testing

@testable import Shared

/// The Sender's scheduling in-process, on a fake clock and a fake transport: retries, holding
/// behind an open breaker, backpressure, 410, Retry-After and OAuth2 token requests.
@Suite struct SenderTests {
    @Test func aStopSignalRaisedInProcessStopsTheRunAsSIGTERMWould() throws {
        // The run's stop signals are injected: raised by hand here, the process's own are untouched.
        let signals = ManualStopSignals()
        // The first retry raises SIGTERM, as an operator would mid-run.
        var run = SenderRun { _, now in
            if now >= 0.5 { signals.raise(SIGTERM) }
            return (.status(503), 0.01)
        }
        run.signals = signals
        run.options.breakerFailures = 0
        let r = try run.run(SenderRun.input(3))
        #expect(r.count == 3)
        for result in r.values {
            #expect(result["status"] as? String == "failed")
            let error = result["error"] as? String ?? ""
            #expect(
                error.hasSuffix("interrupted before another attempt (SIGTERM)")
                    || error == "interrupted before delivery (SIGTERM)", "\(error)")
        }
        // No line is sent after the signal.
        #expect(run.transport.sent.count <= 3 + 1)
    }

    @Test func retriesFollowTheScheduleThenTheLineFailsSayingWhy() throws {
        var run = SenderRun { _, _ in (.status(503, body: "down for maintenance"), 0.01) }
        run.options.retry.schedule = [30, 60]
        run.options.retry.retries = 2
        run.options.breakerFailures = 0
        let r = try run.run(SenderRun.input(1))
        let times = run.transport.sent.map(\.time)
        try #require(times.count == 3)
        // Jitter only lengthens a delay, by up to a quarter.
        #expect(times[1] - times[0] >= 30 && times[1] - times[0] <= 37.6)
        #expect(times[2] - times[1] >= 60 && times[2] - times[1] <= 75.1)
        let result = try #require(r[1])
        #expect(result["status"] as? String == "failed")
        #expect(result["attempts"] as? Int == 3)
        #expect((result["error"] as? String)?.contains("127.0.0.1:9 answered 503") == true)
        #expect((result["error"] as? String)?.contains("gave up after 3 attempts") == true)
        #expect(result["response"] as? String == "down for maintenance")
        #expect(result["url"] as? String == "http://127.0.0.1:9/hook")
        #expect((result["finished_at"] as? String)?.hasPrefix("2027-") == true)
    }

    @Test func anOpenBreakerHoldsLinesAndAProbeReleasesThemWhenTheEndpointIsBack() throws {
        // Down (503) for the first 100 s, then up.
        var run = SenderRun { _, now in (now < 100 ? .status(503) : .status(204), 0.05) }
        run.options.breakerFailures = 5
        run.options.breakerCooldown = 10
        run.options.concurrency = 4
        let r = try run.run(SenderRun.input(50))
        #expect(r.count == 50)
        #expect(
            r.values.allSatisfy { $0["status"] as? String == "delivered" },
            "\(r.values.filter { $0["status"] as? String != "delivered" })")
        // During the outage: the attempts until 50 % of at least 50 failed (the breaker's rate rule),
        // those in flight, then about one probe per cooldown.
        let duringOutage = run.transport.sent.filter { $0.time < 100 }.count
        #expect(duringOutage <= 50 + 2 * 4 + 100 / 10 + 1, "\(duringOutage) requests during the outage")
        // After it, everything goes at full speed: all 50 within a few seconds of the first success.
        let after = run.transport.sent.filter { $0.time >= 100 }.map(\.time)
        #expect(after.count >= 50 - 4)
        #expect((after.max() ?? 0) - (after.min() ?? 0) < 5)
        // Held time is not counted as attempts.
        #expect(r.values.allSatisfy { ($0["attempts"] as? Int ?? 99) <= 4 })
    }

    @Test func inputStopsOnceAnEndpointHoldsItsShareAndHealthyEndpointsKeepFlowing() throws {
        var run = SenderRun { request, now in
            request.url.contains("/down") && now < 60 ? (.status(503), 0.01) : (.status(200), 0.01)
        }
        run.integrations = """
            [integrations.down]
            url = "http://127.0.0.1:9/down"
            [integrations.up]
            url = "http://127.0.0.1:9/up"
            """
        run.options.window = 40
        run.options.maxHeld = 20
        run.options.breakerFailures = 3
        run.options.breakerRate = .init(minimumAttempts: 10)
        run.options.breakerCooldown = 10
        run.options.concurrency = 2
        // Odd lines to the endpoint that is down, even ones to the healthy one.
        let r = try run.run(SenderRun.input(200) { $0 % 2 == 1 ? "down" : "up" })
        #expect(r.count == 200)
        #expect(r.values.allSatisfy { $0["status"] as? String == "delivered" })
        // While the endpoint was down, reading stopped: no line past two windows was read, and the
        // healthy endpoint's later lines went only once the outage was over. What stops it is the
        // hold: the 10 lines whose 503s opened the breaker wait for their retries outside the
        // window, then 20 more are held. (With the default rule, 50 lines would open it.)
        let readDuringOutage = run.transport.sent.filter { $0.time < 60 }.compactMap(\.n).max() ?? 0
        #expect(readDuringOutage <= 2 * 40, "line \(readDuringOutage) was sent during the outage")
        #expect(run.transport.sent(to: "/up").filter { ($0.n ?? 0) > 2 * 40 }.allSatisfy { $0.time >= 60 })
        // Lines for the healthy endpoint read before the stop were delivered at once, not after the outage.
        let upEarly = run.transport.sent(to: "/up").filter { $0.time < 1 }.count
        #expect(upEarly >= 10)
    }

    /// Lines waiting for a retry stay out of the window, and are bounded in number apart: with a
    /// window of 4 and at most 10 waiting, reading goes past the window but stops at the bound
    /// until the first retries come due (1 s). Counted in the window, line 4 was the last tried
    /// before then; unbounded, all 100 were.
    @Test func linesWaitingForARetryAreBoundedApartFromTheWindow() throws {
        var run = SenderRun { _, now in now < 1 ? (.status(503), 0.01) : (.status(200), 0.01) }
        run.options.window = 4
        run.options.maxRetrying = 10
        let r = try run.run(SenderRun.input(100))
        #expect(r.count == 100)
        #expect(r.values.allSatisfy { $0["status"] as? String == "delivered" })
        let lastTriedEarly = run.transport.sent.filter { $0.time < 1 }.compactMap(\.n).max() ?? 0
        #expect(lastTriedEarly >= 10 && lastTriedEarly <= 10 + 4, "line \(lastTriedEarly) was tried before 1 s")
    }

    @Test func maxElapsedCountsTimeHeldAndTheFailureNamesTheCauseThatOpenedTheBreaker() throws {
        var run = SenderRun { _, _ in
            (HTTPResponse(status: 0, transportError: "Failed to connect to 127.0.0.1 port 9"), 0.01)
        }
        run.options.retry.retries = 20
        run.options.retry.schedule = [5]
        run.options.maxElapsed = 60
        run.options.breakerFailures = 3
        run.options.breakerCooldown = 1000
        run.options.concurrency = 1
        let r = try run.run(SenderRun.input(10))
        #expect(r.count == 10)
        #expect(r.values.allSatisfy { $0["status"] as? String == "failed" })
        let held = r.values.filter { ($0["error"] as? String)?.contains("circuit breaker") == true }
        #expect(held.count >= 5)
        for h in held {
            let error = h["error"] as? String ?? ""
            #expect(error.contains("opened by: POST to 127.0.0.1:9 failed: Failed to connect"), "\(error)")
            #expect(error.contains("--max-elapsed"))
            #expect((h["attempts"] as? Int ?? 99) < 20)
        }
        // Gave up by the budget, not by attempts, and the breaker kept requests down to a handful.
        #expect(run.transport.sent.count <= 6)
        #expect(run.time.now < 200)
    }

    @Test func goneEndpointFailsItsLinesWithoutSendingThem() throws {
        var run = SenderRun { _, _ in (.status(410, body: "{\"error\":\"unsubscribed\"}"), 0.01) }
        run.options.concurrency = 1
        let r = try run.run(SenderRun.input(5))
        #expect(run.transport.sent.count == 1)
        #expect(r.values.allSatisfy { $0["status"] as? String == "failed" })
        #expect((r[1]?["error"] as? String)?.contains("410 Gone") == true)
        #expect(r[1]?["response"] as? String == "{\"error\":\"unsubscribed\"}")
        #expect(r[3]?["attempts"] as? Int == 0)
    }

    @Test func retryAfterIsHonouredUpToTheCap() throws {
        var answers = 0
        var run = SenderRun { request, _ in
            answers += 1
            let first = answers <= 2
            let wait = request.body.contains(UInt8(ascii: "1")) ? "7" : "3600"
            return (first ? .status(429, retryAfter: wait) : .status(200), 0)
        }
        run.options.retry.maxRetryAfter = 300
        run.options.concurrency = 2
        run.options.breakerFailures = 0
        _ = try run.run(SenderRun.input(2))
        let one = run.transport.sent.filter { $0.n == 1 }.map(\.time)
        let two = run.transport.sent.filter { $0.n == 2 }.map(\.time)
        try #require(one.count == 2 && two.count == 2)
        // A Retry-After paces the whole endpoint: line 1 was told 7 s, but line 2's 3600 s (capped at
        // 300) holds every line to the endpoint, line 1's retry too.
        #expect(abs(one[1] - one[0] - 300) < 0.2)
        #expect(abs(two[1] - two[0] - 300) < 0.2)
    }

    @Test func retriedStatusesArePerIntegrationAndPresetsApply() throws {
        var run = SenderRun { request, _ in (request.url.contains("/strict") ? .status(400) : .status(404), 0.01) }
        run.integrations = """
            [integrations.strict]
            url = "http://127.0.0.1:9/strict"
            [integrations.svix]
            url = "http://127.0.0.1:9/svix"
            retry = "standard-webhooks"
            retry_statuses = ["all"]
            """
        run.options.breakerFailures = 0
        run.options.maxElapsed = 200
        let r = try run.run(SenderRun.input(2) { $0 == 1 ? "strict" : "svix" })
        #expect(r[1]?["attempts"] as? Int == 1)
        #expect((r[1]?["error"] as? String)?.contains("not retried") == true)
        // 404 retried under the Standard Webhooks schedule (5 s, then 5 m) until --max-elapsed.
        let svix = run.transport.sent(to: "/svix").map(\.time)
        #expect(svix.count == 2)
        #expect(svix.count == 2 && svix[1] - svix[0] >= 5 && svix[1] - svix[0] < 6.3)
        #expect((r[2]?["error"] as? String)?.contains("--max-elapsed") == true)
    }

    @Test func aHangingTokenEndpointHoldsUpOnlyItsOwnIntegration() throws {
        var run = SenderRun { request, now in
            if request.url.contains("/token") {
                return (HTTPResponse(status: 0, transportError: "Operation timed out after 30000 ms"), 30)
            }
            return (.status(200), 0.01)
        }
        run.environment = ["ID": "client", "SECRET": "s3cret"]
        run.integrations = """
            [integrations.oauth]
            url = "http://127.0.0.1:9/oauth"
            retries = 0
            auth = { type = "oauth2", token_url = "http://127.0.0.1:9/token", client_id_env = "ID", client_secret_env = "SECRET" }
            [integrations.plain]
            url = "http://127.0.0.1:9/plain"
            """
        run.options.maxElapsed = 200
        run.options.breakerCooldown = 30
        let r = try run.run(SenderRun.input(20) { $0 <= 5 ? "oauth" : "plain" })
        // One token request at a time for all five lines; the other integration delivered meanwhile.
        let plain = run.transport.sent(to: "/plain")
        #expect(plain.count == 15)
        #expect(plain.allSatisfy { $0.time < 1 })
        // Held, not failed, until --max-elapsed: 5 timeouts open the token endpoint's breaker (150 s),
        // then one probe per cooldown.
        #expect(run.transport.sent(to: "/token").count <= 5 + 2)
        for n in 1...5 {
            #expect(r[n]?["status"] as? String == "failed")
            let error = r[n]?["error"] as? String ?? ""
            #expect(error.contains("held while the OAuth2 token endpoint"), "\(error)")
            #expect(error.contains("failed: Operation timed out") && error.contains("--max-elapsed passed"), "\(error)")
        }
        #expect(run.transport.sent(to: "/oauth").isEmpty)
    }

    @Test func anIdentityProviderOutageHoldsLinesAndOneTokenRequestGoesPerCooldown() throws {
        // The token endpoint is down (503) for the first 100 s; the partner is up all along.
        var run = SenderRun { request, now in
            if request.url.contains("/token") {
                return now < 100
                    ? (.status(503), 0.01) : (.status(200, body: #"{"access_token":"t","expires_in":3600}"#), 0.01)
            }
            return (.status(200), 0.01)
        }
        run.environment = ["ID": "client", "SECRET": "s3cret"]
        run.integrations = """
            [integrations.oauth]
            url = "http://127.0.0.1:9/oauth"
            auth = { type = "oauth2", token_url = "http://127.0.0.1:9/token", client_id_env = "ID", client_secret_env = "SECRET" }
            """
        run.options.breakerFailures = 5
        run.options.breakerCooldown = 10
        let r = try run.run(SenderRun.input(300) { _ in "oauth" })
        // Every line delivered at its first attempt once the token endpoint was back.
        #expect(r.count == 300)
        #expect(r.values.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
        // About one token request per cooldown, never one per line (before: about one per line and retry).
        let tokens = run.transport.sent(to: "/token")
        #expect(tokens.count <= 5 + 100 / 10 + 2, "\(tokens.count) token requests")
        #expect(run.transport.sent(to: "/oauth").allSatisfy { $0.time >= 100 })
    }

    @Test func integrationsSharingATokenEndpointShareItsBreaker() throws {
        var run = SenderRun { request, now in
            if request.url.contains("/token") {
                return now < 60
                    ? (.status(503), 0.01) : (.status(200, body: #"{"access_token":"t","expires_in":3600}"#), 0.01)
            }
            return (.status(200), 0.01)
        }
        run.environment = ["ID": "client", "ID2": "client-2", "SECRET": "s3cret"]
        run.integrations = """
            [integrations.a]
            url = "http://127.0.0.1:9/a"
            auth = { type = "oauth2", token_url = "http://127.0.0.1:9/token", client_id_env = "ID", client_secret_env = "SECRET" }
            [integrations.b]
            url = "http://127.0.0.1:9/b"
            auth = { type = "oauth2", token_url = "http://127.0.0.1:9/token", client_id_env = "ID2", client_secret_env = "SECRET" }
            """
        run.options.breakerFailures = 5
        run.options.breakerCooldown = 10
        let r = try run.run(SenderRun.input(100) { $0 % 2 == 0 ? "a" : "b" })
        #expect(r.values.allSatisfy { $0["status"] as? String == "delivered" })
        // One breaker: the failures of both count together, and one probe per cooldown for both.
        let duringOutage = run.transport.sent(to: "/token").filter { $0.time < 60 }.count
        #expect(duringOutage <= 5 + 60 / 10 + 2, "\(duringOutage) token requests during the outage")
    }

    @Test func aTokenEndpointRefusingTheClientFailsTheLinesAfterOneRequest() throws {
        var run = SenderRun { request, _ in
            request.url.contains("/token")
                ? (.status(401, body: #"{"error":"invalid_client","error_description":"bad secret"}"#), 0.01)
                : (.status(200), 0.01)
        }
        run.environment = ["ID": "client", "SECRET": "wrong"]
        run.integrations = """
            [integrations.oauth]
            url = "http://127.0.0.1:9/oauth"
            auth = { type = "oauth2", token_url = "http://127.0.0.1:9/token", client_id_env = "ID", client_secret_env = "SECRET" }
            """
        let r = try run.run(SenderRun.input(40) { _ in "oauth" })
        #expect(run.transport.sent(to: "/token").count == 1)
        #expect(run.transport.sent(to: "/oauth").isEmpty)
        #expect(r.count == 40)
        for result in r.values {
            #expect(result["status"] as? String == "failed")
            #expect((result["error"] as? String)?.contains("refused the client (401 invalid_client)") == true)
        }
    }

    @Test func authenticatorsGiveHeadersAndTheirMaskedFormInOnePlace() throws {
        var run = SenderRun { _, _ in (.status(200), 0.01) }
        run.environment = ["TOKEN": "t0ken", "SIGN": "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()]
        run.integrations = """
            [integrations.p]
            url = "http://127.0.0.1:9/p"
            auth = { type = "bearer", token_env = "TOKEN" }
            signing = { secrets_env = "SIGN" }
            """
        _ = try run.run(SenderRun.input(1) { _ in "p" })
        let sent = try #require(run.transport.sent.first)
        #expect(sent.header("authorization") == "Bearer t0ken")
        #expect(sent.header("webhook-signature")?.hasPrefix("v1,") == true)
        #expect(sent.header("webhook-id") == "m-1")
        let masked = SigningAuthenticator(signer: try WebhookSigner(secrets: run.environment["SIGN"]!))
            .maskedHeaders(AttemptIdentity(id: "m-1", timestamp: 1, body: []))
        #expect(masked.first { $0.name == "webhook-signature" }?.value.text == "v1,***")
        #expect(
            BearerAuthenticator(token: "t0ken").maskedHeaders(AttemptIdentity(id: "x", timestamp: 1, body: []))[0].value
                .text == "Bearer ***")
    }
}
