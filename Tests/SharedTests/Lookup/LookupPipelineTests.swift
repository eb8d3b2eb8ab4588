import CSQLite
import Foundation
import Testing

@testable import Shared

/// lt-query's pipeline in this process, over a real SQLite warehouse and file cache in a scratch
/// folder: one output line per input line, in input order, each with its answer.
@Suite struct LookupPipelineTests {
    static let enterprise = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    let folder: ScratchFolder

    init() throws { folder = try ScratchFolder("lt-pipeline") }

    /// User 1 has 100 + 20 s in course A; user 2 has 3,000 s in course B; nobody else has rows.
    func warehouse() throws -> SQLiteWarehouse {
        let path = folder.file("warehouse.db")
        let db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try db.execute(
            """
            CREATE TABLE LEARNING_TIME (USER_ID INTEGER, COURSE_KEY VARCHAR(255), ENTERPRISE_CUSTOMER_UUID VARCHAR(36),
              DATE DATE, LEARNING_TIME_SECONDS INTEGER,
              PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE));
            INSERT INTO LEARNING_TIME VALUES
              (1, 'course-v1:edX+A+1', '\(Self.enterprise)', '2026-01-01', 100),
              (1, 'course-v1:edX+A+1', '\(Self.enterprise)', '2026-01-02', 20),
              (2, 'course-v1:edX+B+1', '\(Self.enterprise)', '2026-01-01', 3000);
            """)
        return try SQLiteWarehouse(path: path, spec: TableSpec())
    }

    /// A completion envelope for `user` in `course`, with `id`.
    func completion(_ id: String, user: Int, course: String = "course-v1:edX+A+1") -> String {
        #"{"id":"\#(id)","payload":{"user":{"id":\#(user)},"course":{"course_id":"\#(course)"},"completion":{},"#
            + #""enterprise":{"enterprise_customer_uuid":"\#(Self.enterprise)"}}}"#
    }

    struct Run {
        var out: [[String: Any]]
        var raw: [String]
        var log: [String]
        var stats: LookupStats
        var failed: Bool

        func status(_ i: Int) -> String? { (out[i]["lookup"] as? [String: Any])?["status"] as? String }
        func total(_ i: Int) -> Int? { (out[i]["lookup"] as? [String: Any])?["total_seconds"] as? Int }
    }

    /// Runs `lines` through a pipeline with the file cache in the scratch folder (unless `cache` is false).
    func run(
        _ lines: [String], warehouse: Warehouse, cache: Bool = true, flag: String = "on", retries: Int = 0
    ) throws -> Run {
        let input = try ScratchFile(lines.map { $0 + "\n" }.joined())
        let output = try ScratchFile()
        let log = try ScratchFile()
        let diagnostics = Diagnostics(tool: "lt-query", fd: log.fd)
        let metrics = Metrics(tool: "lt-query")
        var options = LookupOptions()
        options.retries = retries
        options.retryDelay = 0.001
        let store = cache ? FileStore(directory: folder.file("cache"), diagnostics: diagnostics) : nil
        let resolver = LookupResolver(
            warehouse: warehouse,
            store: store.map { StoreGate($0, namespace: CacheNamespace(identity: "test"), diagnostics: diagnostics) },
            options: options, diagnostics: diagnostics, metrics: metrics)
        let pipeline = LookupPipeline(
            resolver: resolver, flag: try EnrichmentFlag.resolve(option: flag, environment: [:]), options: options,
            diagnostics: diagnostics, metrics: metrics, output: OutputWriter(fd: output.fd, name: "<test>"))
        pipeline.startProbe()
        try pipeline.run(try LineReader.open(input.path))
        let out = try output.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        return Run(out: out, raw: output.lines, log: log.lines, stats: pipeline.stats, failed: diagnostics.hasFailed)
    }

    @Test func everyLineGetsOneLineInInputOrderWithItsAnswer() throws {
        let errorRecord = #"{"id":"e","error":{"tool":"lt-enrich","message":"upstream"}}"#
        let lines = [
            completion("a", user: 1), completion("b", user: 3), "not json", #"{"id":"d","payload":{"enrollment":{}}}"#,
            errorRecord, completion("f", user: 2, course: "course-v1:edX+B+1"), completion("g", user: 1),
        ]
        let r = try run(lines, warehouse: try warehouse())
        try #require(r.out.count == lines.count, "\(r.raw)")
        #expect(r.out.map { $0["id"] as? String } == ["a", "b", nil, "d", "e", "f", "g"])
        #expect(r.status(0) == "found" && r.total(0) == 120)
        #expect(r.status(1) == "not_found" && r.total(1) == nil)
        let error = try #require(r.out[2]["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("not valid JSON") == true)
        #expect(error["line"] as? Int == 3)
        #expect(r.status(3) == "skipped")
        #expect(r.raw[4] == errorRecord)
        #expect(r.status(5) == "found" && r.total(5) == 3000)
        #expect(r.status(6) == "found" && r.total(6) == 120)
        // Three distinct keys, asked in one round trip; the repeat was answered from memory.
        #expect(r.stats.lines == 7)
        #expect(r.stats.roundTrips == 1)
        #expect(r.failed)
    }

    @Test func aSecondRunIsAnsweredFromTheCacheWithoutTheWarehouse() throws {
        let lines = [completion("a", user: 1), completion("b", user: 3)]
        let first = try run(lines, warehouse: try warehouse())
        #expect(first.status(0) == "found" && first.status(1) == "not_found")
        // The warehouse is now down: every answer, the negative one too, must come from the cache.
        let down = ScriptedWarehouse([.failure(.unavailable("connection refused"))])
        let second = try run(lines, warehouse: down)
        #expect(second.status(0) == "found" && second.total(0) == 120)
        #expect(second.status(1) == "not_found")
        #expect(second.out.allSatisfy { ($0["lookup"] as? [String: Any])?["source"] as? String == "cache" })
        #expect(down.calls.isEmpty)
        #expect(second.stats.cacheHits == 2)
        #expect(!second.failed)
    }

    @Test func aWarehouseOutageMarksItsLinesUnavailableAndTheRunGoesOn() throws {
        let down = ScriptedWarehouse([.failure(.unavailable("connection refused"))])
        let lines = [completion("a", user: 1), #"{"id":"b","payload":{"enrollment":{}}}"#, completion("c", user: 2)]
        let r = try run(lines, warehouse: down, cache: false, retries: 1)
        try #require(r.out.count == 3)
        #expect(r.status(0) == "unavailable" && r.status(1) == "skipped" && r.status(2) == "unavailable")
        #expect(r.log.contains { $0.contains("connection refused") }, "\(r.log)")
        // The batch and its one retry.
        #expect(down.calls.count == 2)
    }

    @Test func withTheFlagOffNoLineIsLookedUp() throws {
        let w = ScriptedWarehouse([.success([:])])
        let r = try run([completion("a", user: 1), completion("b", user: 2)], warehouse: w, cache: false, flag: "off")
        #expect(r.out.count == 2)
        #expect(r.out.allSatisfy { ($0["lookup"] as? [String: Any])?["reason"] as? String == "flag_off" })
        #expect(w.calls.isEmpty)
    }

    @Test func aWarehouseThatCannotWorkAsConfiguredStopsTheRunBeforeAnyLine() throws {
        let w = ScriptedWarehouse([.failure(.misconfigured("permission denied for table x", hint: "grant SELECT"))])
        do {
            _ = try run([completion("a", user: 1)], warehouse: w, cache: false)
            Issue.record("the run went on")
        } catch let e as WarehouseError {
            #expect(e.isPermanent)
        }
    }
}
