import Foundation
import Testing

/// lt-enrich as a binary: where learning time goes, why it is left out, what is kept byte for byte,
/// and what happens to bad input.
@Suite struct LtEnrichTests {
    static let found =
        #"{"status":"found","total_seconds":18540,"last_updated":"2026-01-10T00:00:00Z","source":"warehouse"}"#
    static let completion =
        #"{"user": {"id": 12345}, "course": {"course_id": "course-v1:edX+DemoX+Demo_Course"}, "completion": {"completion_date": "2026-01-10T15:30:00Z", "percent_grade": 0.92}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#
    static let inserted =
        #","learning_time":{"total_seconds":18540,"total_hours":5.15,"last_updated":"2026-01-10T00:00:00Z"}"#

    static func envelope(_ payload: String, lookup: String? = found, extra: String = "") -> String {
        "{\(extra)\"payload\":\(payload)" + (lookup.map { ",\"lookup\":\($0)" } ?? "") + "}"
    }

    /// Runs lt-enrich with no flag variables inherited.
    static func enrich(_ args: [String], _ lines: [String], env: [String: String] = [:]) throws -> ToolOutput {
        try Tool.run(
            "lt-enrich", args, stdin: lines.map { $0 + "\n" }.joined(), env: ["LT_ROLLOUT_FILE": ""].merging(env) { $1 }
        )
    }

    static func object(_ line: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    // MARK: Bytes

    /// Unusual but valid JSON: everything but the new member must come out exactly as it went in.
    static let unusualPayloads = [
        #"{"completion":{"é":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"},"big":123456789012345678901234567890123,"f":1.0e2,"g":-0.0,"h":1E-7,"i":0.10}"#,
        "{ \"z\" : [ [ 1 , [ 2 , [ 3 , { } ] ] ] , [ ] , { \"a\" : [ null , true , false ] } ] ,\t\"completion\" :\t{ } ,\r \"y\":\"ü日本🎉\" }",
        #"{"dup":1,"completion":{"a":1},"dup":2,"x":{"b":2,"b":3}}"#,
        #"{"event_type":"course_completion","nested":{"learning_time":"not the top-level one"},"n":[1e400,-1e-400,12345678901234567890]}"#,
        #"{"\u0063ompletion":{},"k\"ey":"v","":"empty key","emoji\ud83d\ude00":1}"#,
        #"{"completion":{}}"#,
    ]

    @Test func onlyTheNewMemberDiffersFromTheInputPayload() throws {
        let out = try Self.enrich(["--flag", "on", "--unwrap"], Self.unusualPayloads.map { Self.envelope($0) })
        #expect(out.status == 0, "\(out.stderr)")
        try #require(out.lines.count == Self.unusualPayloads.count)
        for (input, output) in zip(Self.unusualPayloads, out.lines) {
            let inBytes = Array(input.utf8)
            let outBytes = Array(output.utf8)
            let member = Array(Self.inserted.utf8)
            // The member goes right after the last member's value, before any whitespace and the closing brace.
            guard let at = outBytes.firstRange(of: member) else {
                Issue.record("no learning_time in \(output)"); continue
            }
            #expect(outBytes.count == inBytes.count + member.count)
            let without = Array(outBytes[..<at.lowerBound]) + Array(outBytes[at.upperBound...])
            #expect(without == inBytes, "payload changed:\n in: \(input)\nout: \(output)")
        }
        // And the result is JSON with the member at the top level, as another parser sees it.
        let parsed = try Tool.shell(
            """
            python3 -c 'import json, sys
            for l in sys.stdin: print(json.loads(l)["learning_time"]["total_hours"])'
            """, stdin: out.stdout)
        #expect(parsed.lines == Array(repeating: "5.15", count: Self.unusualPayloads.count), "\(parsed.stderr)")
    }

    @Test func envelopeMembersAreKeptAndEnrichmentAdded() throws {
        let line =
            #"{"id": "evt-1",  "integration":"demo","custom":{"keep": [1, 2.50]},"payload":{"completion":{}},"lookup":"#
            + Self.found + "}"
        let out = try Self.enrich(["--flag", "on"], [line])
        #expect(out.status == 0)
        let text = try #require(out.lines.first)
        #expect(
            text.hasPrefix(
                #"{"id": "evt-1","integration":"demo","custom":{"keep": [1, 2.50]},"payload":{"completion":{}"#
                    + Self.inserted + "}"))
        #expect(
            text.hasSuffix(
                #","enrichment":{"learning_time":true,"rule":"flag","total_seconds":18540,"lookup_status":"found","lookup_source":"warehouse"}}"#
            ))
    }

    @Test func anExistingFieldIsReplacedWithAWarning() throws {
        let payload = #"{"completion":{},"learning_time":{"old":true},"after":1}"#
        let out = try Self.enrich(["--flag", "on", "--unwrap"], [Self.envelope(payload)])
        #expect(out.status == 0)
        #expect(
            out.lines == [
                #"{"completion":{},"learning_time":{"total_seconds":18540,"total_hours":5.15,"last_updated":"2026-01-10T00:00:00Z"},"after":1}"#
            ])
        #expect(out.stderr.contains("warning (at <stdin>:1): payload already had learning_time; replaced it"))
    }

    // MARK: Omission reasons

    @Test func everyOmissionReasonLeavesThePayloadUntouched() throws {
        let enrollment =
            #"{"enrollment": {"mode": "verified"}, "enterprise": {"enterprise_customer_uuid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}}"#
        let c = Self.completion
        // (payload, line, reason)
        let cases: [(String, String, String)] = [
            (
                enrollment, Self.envelope(enrollment, lookup: #"{"status":"skipped","reason":"not_completion"}"#),
                "not_completion"
            ),
            (c, Self.envelope(c, extra: #""integration":"degreed","#), "flag_off"),
            (c, Self.envelope(c, lookup: nil), "no_lookup"),
            (c, c, "no_lookup"),
            (
                c,
                Self.envelope(
                    c, lookup: #"{"status":"not_found","last_updated":"2026-01-10T00:00:00Z","source":"cache"}"#),
                "not_found"
            ),
            (c, Self.envelope(c, lookup: #"{"status":"unavailable","error":"warehouse down"}"#), "unavailable"),
            (c, Self.envelope(c, lookup: #"{"status":"skipped","reason":"flag_off"}"#), "skipped"),
            (c, Self.envelope(c, lookup: #"{"status":"invalid","error":"bad uuid"}"#), "invalid"),
            (
                c,
                Self.envelope(
                    c, lookup: #"{"status":"found","total_seconds":0,"last_updated":"2026-01-10T00:00:00Z"}"#),
                "zero_total"
            ),
            (
                c,
                Self.envelope(
                    c, lookup: #"{"status":"found","total_seconds":-5,"last_updated":"2026-01-10T00:00:00Z"}"#),
                "zero_total"
            ),
        ]
        let dir = try Workdir()
        let rollout = try dir.write("rollout.json", #"{"enabled": true, "integrations_out": ["degreed"]}"#)
        let out = try Self.enrich(["--rollout", rollout, "--stats"], cases.map(\.1))
        #expect(out.status == 0, "\(out.stderr)")
        try #require(out.lines.count == cases.count)
        for ((payload, _, reason), line) in zip(cases, out.lines) {
            let record = try Self.object(line)
            let enrichment = try #require(record["enrichment"] as? [String: Any])
            #expect(enrichment["learning_time"] as? Bool == false)
            #expect(enrichment["reason"] as? String == reason, "\(line)")
            // The payload's bytes are those of the input.
            #expect(line.contains("\"payload\":" + payload + ","), "\(line)")
        }
        #expect(
            out.stderr.contains(
                "omitted: flag_off=1 invalid=1 no_lookup=2 not_completion=1 not_found=1 skipped=1 unavailable=1 zero_total=2"
            ))
    }

    @Test func enrichmentOffSaysSoOnce() throws {
        let lines = Array(repeating: Self.envelope(Self.completion), count: 3)
        let out = try Self.enrich([], lines)
        #expect(out.status == 0)
        #expect(out.stderr.components(separatedBy: "enrichment is off").count == 2, "\(out.stderr)")
        #expect(out.stderr.contains("ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT is not set"))
        #expect(out.lines.allSatisfy { $0.contains(#""reason":"flag_off""#) })
        let fromEnv = try Self.enrich([], lines, env: ["ENABLE_WEBHOOK_LEARNING_TIME_ENRICHMENT": "true"])
        #expect(!fromEnv.stderr.contains("enrichment is off"))
        #expect(fromEnv.lines.allSatisfy { $0.contains(#""learning_time":true"#) })
    }

    // MARK: --field, --format, --unwrap, --require-learning-time

    @Test func fieldAndFormatPlaceTheValue() throws {
        let payload = #"{"completion": {"percent_grade": 0.92}, "user": {"id": 1}}"#
        let line = Self.envelope(payload)
        let upstream = try Self.enrich(
            ["--flag", "on", "--unwrap", "--field", "completion.learning_time", "--format", "seconds"], [line])
        #expect(
            upstream.lines == [#"{"completion": {"percent_grade": 0.92,"learning_time":18540}, "user": {"id": 1}}"#])
        let percipio = try Self.enrich(
            ["--flag", "on", "--unwrap", "--field", "duration_spent", "--format", "seconds"], [line])
        #expect(
            percipio.lines == [#"{"completion": {"percent_grade": 0.92}, "user": {"id": 1},"duration_spent":18540}"#])
        let created = try Self.enrich(
            ["--flag", "on", "--unwrap", "--field", "extra.stats.time"],
            [line, Self.envelope(#"{"completion":{},"extra":{}}"#)])
        #expect(
            created.lines == [
                #"{"completion": {"percent_grade": 0.92}, "user": {"id": 1},"extra":{"stats":{"time":{"total_seconds":18540,"total_hours":5.15,"last_updated":"2026-01-10T00:00:00Z"}}}}"#,
                #"{"completion":{},"extra":{"stats":{"time":{"total_seconds":18540,"total_hours":5.15,"last_updated":"2026-01-10T00:00:00Z"}}}}"#,
            ])
    }

    @Test func writingIntoANonObjectIsAnErrorForThatLineOnly() throws {
        let out = try Self.enrich(
            ["--flag", "on", "--field", "user.id.seconds", "--format", "seconds"],
            [Self.envelope(Self.completion), Self.envelope(#"{"completion":{}}"#)])
        #expect(out.status == 1)
        try #require(out.lines.count == 2)
        let error = try #require(try Self.object(out.lines[0])["error"] as? [String: Any])
        #expect(
            (error["message"] as? String)?.contains("cannot write user.id.seconds: id is a JSON number, not an object")
                == true)
        #expect(error["tool"] as? String == "lt-enrich")
        #expect(out.lines[1].contains(#""user":{"id":{"seconds":18540}}"#))
        #expect(out.stderr.contains("lt-enrich: error (at <stdin>:1): cannot write user.id.seconds"))
    }

    @Test(arguments: [
        ["--field", "a..b"], ["--field", ""], ["--format", "hours"], ["--flag", "maybe"],
        ["--flag", "on", "--rollout", "/tmp/x.json"],
    ])
    func badOptionsAreUsageErrors(args: [String]) throws {
        let out = try Self.enrich(args, [])
        #expect(out.status == 64, "\(args): \(out.stderr)")
    }

    @Test func unwrapWritesBarePayloadsAndPassesErrorRecords() throws {
        let errorRecord =
            #"{"error":{"tool":"lt-query","source":"<stdin>","line":2,"message":"not valid JSON"},"input":"nope"}"#
        let out = try Self.enrich(
            ["--flag", "on", "--unwrap"],
            [Self.envelope(#"{"completion":{}}"#), errorRecord, Self.envelope(#"{"enrollment":{}}"#)])
        #expect(out.status == 1)
        #expect(out.lines == [#"{"completion":{}"# + Self.inserted + "}", errorRecord, #"{"enrollment":{}}"#])
    }

    @Test func requireLearningTimeTurnsUnavailableIntoErrorRecords() throws {
        let unavailable = Self.envelope(
            Self.completion, lookup: #"{"status":"unavailable","error":"connection refused"}"#, extra: #""id":"e1","#)
        let lenient = try Self.enrich(["--flag", "on"], [unavailable])
        #expect(lenient.status == 0)
        #expect(lenient.lines.first?.contains(#""reason":"unavailable""#) == true)
        let strict = try Self.enrich(
            ["--flag", "on", "--require-learning-time"], [unavailable, Self.envelope(Self.completion)])
        #expect(strict.status == 1)
        try #require(strict.lines.count == 2)
        let record = try Self.object(strict.lines[0])
        let error = try #require(record["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("learning time is unavailable (connection refused)") == true)
        #expect(record["input"] as? String == unavailable)
        #expect(strict.lines[1].contains(#""learning_time":true"#))
    }

    // MARK: Bad input

    @Test func badLinesBecomeErrorRecordsAndTheStreamGoesOn() throws {
        let lookup = { (fields: String) in #"{"status":"found","# + fields + "}" }
        let bad: [(String, String)] = [
            ("not json", "not valid JSON"),
            ("[1,2]", "not an object"),
            (#"{"payload":[1],"lookup":{"status":"found"}}"#, "\"payload\" is a JSON array, not an object"),
            (
                Self.envelope(
                    Self.completion, lookup: lookup(#""total_seconds":"18540","last_updated":"2026-01-10T00:00:00Z""#)),
                "lookup.total_seconds \"18540\" is not an integer"
            ),
            (
                Self.envelope(
                    Self.completion, lookup: lookup(#""total_seconds":1.5,"last_updated":"2026-01-10T00:00:00Z""#)),
                "lookup.total_seconds 1.5 is not an integer"
            ),
            (
                Self.envelope(
                    Self.completion, lookup: lookup(#""total_seconds":1e3,"last_updated":"2026-01-10T00:00:00Z""#)),
                "lookup.total_seconds 1e3 is not an integer"
            ),
            (
                Self.envelope(Self.completion, lookup: lookup(#""total_seconds":18540,"last_updated":"yesterday""#)),
                "lookup.last_updated \"yesterday\" is not a UTC timestamp"
            ),
            (
                Self.envelope(Self.completion, lookup: lookup(#""last_updated":"2026-01-10T00:00:00Z""#)),
                "lookup is found but has no total_seconds"
            ),
            (Self.envelope(Self.completion, lookup: #"{"status":"maybe"}"#), "lookup.status"),
        ]
        let good = Self.envelope(Self.completion)
        let out = try Self.enrich(["--flag", "on"], bad.map(\.0) + [good])
        #expect(out.status == 1)
        try #require(out.lines.count == bad.count + 1)
        for (i, (input, message)) in bad.enumerated() {
            let record = try Self.object(out.lines[i])
            let error = try #require(record["error"] as? [String: Any], "\(out.lines[i])")
            #expect((error["message"] as? String)?.contains(message) == true, "\(input): \(error)")
            #expect(error["line"] as? Int == i + 1)
            #expect(record["input"] as? String == input)
        }
        #expect(out.lines.last?.contains(#""learning_time":true"#) == true)
    }

    @Test func errorRecordsFromLtQueryPassThroughUnchanged() throws {
        let record =
            #"{"id":"x","integration":null,"error":{"tool":"lt-query","source":"<stdin>","line":1,"message":"not valid JSON","hint":"…"},"input":"{oops"}"#
        let out = try Self.enrich(["--flag", "on"], [record, Self.envelope(Self.completion)])
        #expect(out.status == 1, "an upstream failure still fails the run")
        #expect(out.lines.first == record)
        #expect(!out.stderr.contains("error"), "lt-query already reported it: \(out.stderr)")
    }

    @Test func badRolloutFileAtStartUpIsExitTwo() throws {
        let dir = try Workdir()
        let cases: [(String?, String)] = [
            (nil, "does not exist"),
            (#"{"enabled": true"#, "not valid JSON"),
            (#"{"enabled": true, "percent": 150}"#, "outside 0 to 100"),
            (#"{"enabled": true, "percent": -3}"#, "outside 0 to 100"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let path = dir.file("rollout\(i).json")
            if let text { try dir.write("rollout\(i).json", text) }
            for (args, env) in [(["--rollout", path], [String: String]()), ([], ["LT_ROLLOUT_FILE": path])] {
                let out = try Self.enrich(args, [Self.envelope(Self.completion)], env: env)
                #expect(out.status == 2, "\(message): \(out.stderr)")
                #expect(out.stderr.contains(message), "\(out.stderr)")
                #expect(out.stdout.isEmpty)
            }
        }
    }

    @Test func rolloutPercentageSelectsEnterprisesByBucket() throws {
        // Enterprises whose bucket is below 50.00 % are in; the others are out.
        let dir = try Workdir()
        let rollout = try dir.write("rollout.json", #"{"enabled": true, "percent": 50}"#)
        let uuids = (0..<40).map { String(format: "%08x-1111-4222-8333-%012x", $0 * 2_654_435_761 % 4_294_967_296, $0) }
        let lines = uuids.map {
            Self.envelope(#"{"completion":{},"enterprise":{"enterprise_customer_uuid":"\#($0)"}}"#)
        }
        let out = try Self.enrich(["--rollout", rollout], lines)
        #expect(out.status == 0)
        let buckets = try Self.pythonBuckets(uuids)
        for (bucket, line) in zip(buckets, out.lines) {
            #expect(line.contains(#""learning_time":true"#) == (bucket < 5000), "bucket \(bucket): \(line.suffix(60))")
        }
        #expect(Set(out.lines.map { $0.contains(#""learning_time":true"#) }).count == 2, "some in and some out")
    }

    /// The documented bucket, by Python: SHA-256 of the lower-cased UUID, first 8 bytes big-endian, mod 10000.
    static func pythonBuckets(_ uuids: [String]) throws -> [Int] {
        let out = try Tool.shell(
            """
            python3 -c 'import hashlib, sys
            for u in sys.argv[1:]: print(int.from_bytes(hashlib.sha256(u.lower().encode()).digest()[:8], "big") % 10000)' "$@"
            """, args: ["python3"] + uuids)
        return out.lines.compactMap { Int($0) }
    }
}
