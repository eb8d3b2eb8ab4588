import Foundation
import Testing

@testable import Shared

/// The one HTTP request adapter (``CurlTransport``), against a real server on loopback.
@Suite struct CurlTransportTests {
    private func transport(allowPrivate: Bool = true, cap: Int = 64 * 1024) throws -> CurlTransport {
        var settings = TransportSettings()
        settings.allowPrivate = allowPrivate
        settings.maxResponseBody = cap
        return try CurlTransport(settings: settings, maxConnections: 4)
    }

    /// Every request in flight, answered; fails the test after 20 s.
    private func answers(_ t: CurlTransport) -> [Int: HTTPResponse] {
        var out: [Int: HTTPResponse] = [:]
        let deadline = Date().addingTimeInterval(20)
        while t.inFlight > 0, Date() < deadline {
            for (tag, r) in t.perform(waitingUpTo: 0.5) { out[tag] = r }
        }
        return out
    }

    private func request(_ port: Int, body: String = "") -> HTTPRequest {
        HTTPRequest(
            url: "http://127.0.0.1:\(port)/hook", headers: [HTTPHeader("Content-Type", "application/json")],
            body: Array(body.utf8), timeout: 10)
    }

    @Test func anAnswerComesBackWithItsTagStatusBodyAndRetryAfter() throws {
        let server = try LoopbackHTTPServer(
            response: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy")
        server.serve(2)
        let t = try transport()
        t.start(request(server.port, body: #"{"n":1}"#), tag: 41)
        t.start(request(server.port, body: #"{"n":2}"#), tag: 42)
        let got = answers(t)
        #expect(Set(got.keys) == [41, 42])
        for r in got.values {
            #expect(r.status == 503)
            #expect(r.retryAfter == "7")
            #expect(r.body == Array("busy".utf8))
            #expect(r.transportError == nil)
            #expect(r.seconds > 0)
        }
        #expect(server.requests.contains { $0.hasPrefix("POST /hook") && $0.hasSuffix(#"{"n":1}"#) })
        #expect(server.requests.contains { $0.hasSuffix(#"{"n":2}"#) })
    }

    @Test func aBodyOverTheCapIsMarkedTruncated() throws {
        let server = try LoopbackHTTPServer(response: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
        server.serve(1)
        let t = try transport(cap: 4)
        t.start(request(server.port), tag: 1)
        let r = try #require(answers(t)[1])
        #expect(r.status == 200)
        #expect(r.truncated)
        #expect(r.body == Array("0123".utf8))
    }

    @Test func aLoopbackDestinationIsRefusedBeforeAnyPacketAndForGood() throws {
        let server = try LoopbackHTTPServer(response: "HTTP/1.1 204 No Content\r\n\r\n")
        let t = try transport(allowPrivate: false)
        t.start(request(server.port), tag: 7)
        let r = try #require(answers(t)[7])
        #expect(r.status == 0)
        #expect(r.permanent)
        #expect(r.transportError?.contains("refused: 127.0.0.1") == true)
        #expect(!server.hasPendingConnection)
    }
}
