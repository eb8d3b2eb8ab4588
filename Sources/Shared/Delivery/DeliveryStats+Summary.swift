extension DeliveryStats: RunSummary {
    public var textLines: [String] { lines() }

    public func writeJSON(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("tool"); json.string("lt-send")
        json.key("lines"); json.int(byStatus.values.reduce(0, +))
        for s in DeliveryStatus.allCases { json.key(s.rawValue); json.int(byStatus[s, default: 0]) }
        json.key("attempts"); json.int(attempts)
        json.key("transport_errors"); json.int(transportErrors)
        for (name, q) in [("latency_p50_ms", 0.5), ("latency_p90_ms", 0.9), ("latency_p99_ms", 0.99)] {
            json.key(name); if let v = latency(quantile: q) { json.double((v * 1e6).rounded() / 1e3) } else { json.null() }
        }
        json.endObject()
    }
}
