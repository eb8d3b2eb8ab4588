extension LookupStats: RunSummary {
    public var textLines: [String] { summary().split(separator: "\n").map(String.init) }

    public func writeJSON(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("tool"); json.string("lt-query")
        json.key("lines"); json.int(lines)
        json.key("errors"); json.int(errors)
        json.key("lookups"); json.beginObject()
        for s in LookupStatus.allCases { json.key(s.rawValue); json.int(byStatus[s, default: 0]) }
        json.endObject()
        json.key("cache"); json.beginObject()
        json.key("hits"); json.int(cacheHits)
        json.key("misses"); json.int(cacheMisses)
        json.key("hit_rate"); json.double((hitRate * 1e4).rounded() / 1e4)
        json.endObject()
        json.key("warehouse"); json.beginObject()
        json.key("batches"); json.int(batches)
        json.key("round_trips"); json.int(roundTrips)
        json.key("failed_fast"); json.int(failedFast)
        json.endObject()
        json.key("latency"); roundTripSeconds.writeJSON(to: &json)
        json.key("output_wait_s"); json.double((outputWaitSeconds * 1e3).rounded() / 1e3)
        json.endObject()
    }
}
