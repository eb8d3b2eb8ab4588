extension DeliveryStats: RunSummary {
    public var textLines: [String] { lines() }

    public func writeJSON(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("tool"); json.string("lt-send")
        json.key("lines"); json.int(lineCount)
        json.key("errors"); json.int(errors)
        for s in DeliveryStatus.allCases { json.key(s.rawValue); json.int(byStatus[s, default: 0]) }
        json.key("attempts"); json.int(attempts)
        json.key("transport_errors"); json.int(transportErrors)
        json.key("latency"); latency.writeJSON(to: &json)
        json.endObject()
    }
}
