import Testing

@testable import Shared

/// No name from a config file can add a DogStatsD datagram line, a tag, or a Prometheus sample.
@Suite struct MetricTagsTests {
    @Test func statsdTagValuesKeepOnlyTheirAlphabet() {
        #expect(MetricTags.statsd("integration", "a,b|c#d\nevil:1|c") == "integration:a_b_c_d_evil:1_c")
        #expect(MetricTags.statsd("integration", "percipio-eu.v2/x") == "integration:percipio-eu.v2/x")
    }

    @Test func prometheusLabelValuesCannotEndTheLine() {
        let labels = PrometheusFile.labels([("integration", "a\"}\nlt_forged 1\r\u{0}\\")])
        #expect(labels == #"{integration="a\"}\nlt_forged 1__\\"}"#)
        #expect(!labels.contains("\n") && !labels.contains("\r"))
    }

    @Test func reservedKeysAreRefusedWithTheirList() throws {
        for key in MetricTags.reservedKeys {
            #expect(throws: ConfigError.self) { try MetricsSettings.parseTag("\(key):x", from: "--metrics-tag") }
        }
        #expect(throws: ConfigError.self) {
            try MetricsSettings.refuseReservedKeys(environment: ["DD_TAGS": "team:a,status:ok"])
        }
        try MetricsSettings.refuseReservedKeys(environment: ["DD_TAGS": "team:a region:eu"])
    }
}
