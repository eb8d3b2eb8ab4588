import Testing

@testable import Shared

@Suite struct MetricsSettingsTests {
    @Test func datadogEnvironmentGivesAddressAndUnifiedServiceTags() throws {
        let env = [
            "DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": "8200", "DD_ENV": "staging",
            "DD_SERVICE": "lt", "DD_VERSION": "1.4.0", "DD_TAGS": "team:data, region:eu bad-tag",
        ]
        let s = try MetricsSettings.resolve(
            statsd: nil, file: nil, interval: 15, tags: ["pipeline:backfill"], environment: env)
        #expect(s.statsdURL == "statsd://127.0.0.1:8200")
        #expect(
            s.datadogTags.map { "\($0):\($1)" } == [
                "env:staging", "service:lt", "version:1.4.0", "team:data", "region:eu",
            ])
        #expect(s.tags.map { "\($0):\($1)" } == ["pipeline:backfill"])
        #expect(s.ignored.count == 1)
    }

    @Test func optionThenLTMetricsThenDatadogAndDefaultPort() throws {
        let env = ["DD_AGENT_HOST": "agent", "LT_METRICS": "statsd://127.0.0.1:9"]
        #expect(
            try MetricsSettings.resolve(
                statsd: "statsd://127.0.0.1:1", file: nil, interval: 1, tags: [], environment: env
            )
            .statsdURL == "statsd://127.0.0.1:1")
        #expect(
            try MetricsSettings.resolve(statsd: nil, file: nil, interval: 1, tags: [], environment: env).statsdURL
                == "statsd://127.0.0.1:9")
        #expect(
            try MetricsSettings.resolve(
                statsd: nil, file: nil, interval: 1, tags: [], environment: ["DD_AGENT_HOST": "agent"]
            )
            .statsdURL == "statsd://agent:8125")
        #expect(
            try MetricsSettings.resolve(statsd: nil, file: nil, interval: 1, tags: [], environment: [:]).statsdURL
                == nil)
        #expect(throws: ConfigError.self) {
            try MetricsSettings.resolve(
                statsd: nil, file: nil, interval: 1, tags: [],
                environment: ["DD_AGENT_HOST": "a", "DD_DOGSTATSD_PORT": "x"])
        }
    }

    @Test func tagsAreCheckedWhereTheyEnter() throws {
        for bad in [
            "novalue", "a:", ":v", "1a:v", "a b:v", "a:v\"}", "a:v\n", "tool:x", "le:1",
            "k:" + String(repeating: "v", count: 300),
        ] {
            #expect(throws: ConfigError.self, "\(bad)") { try MetricsSettings.parseTag(bad, from: "--metrics-tag") }
        }
        let tag = try MetricsSettings.parseTag("team:a-b_c.d/e:f", from: "--metrics-tag")
        #expect(tag.0 == "team" && tag.1 == "a-b_c.d/e:f")
    }

    @Test func prometheusNamesFollowTheConventions() {
        #expect(Metric.querySuccess.prometheusName == "webhook_learning_time_query_success_total")
        #expect(Metric.taskDuration.prometheusName == "webhook_enrichment_task_duration_seconds")
        #expect(Metric.cacheHitRate.prometheusName == "webhook_learning_time_cache_hit_rate_percent")
        #expect(Metric.taskBacklog.prometheusName == "webhook_enrichment_task_backlog")
        for m in Metric.allCases where m.kind == .counter { #expect(m.prometheusName.hasSuffix("_total")) }
        for m in Metric.allCases where m.unit == .seconds { #expect(m.prometheusName.hasSuffix("_seconds")) }
    }
}
