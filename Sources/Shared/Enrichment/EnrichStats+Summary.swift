extension EnrichStats: RunSummary {
    public var textLines: [String] { summary().split(separator: "\n").map(String.init) }

    public func writeJSON(to json: inout JSONBuffer) {
        json.beginObject()
        json.key("tool"); json.string("lt-enrich")
        json.key("lines"); json.int(lines)
        json.key("errors"); json.int(errors)
        json.key("enriched"); json.int(enriched)
        json.key("omitted"); json.beginObject()
        for (reason, n) in omitted.sorted(by: { $0.key < $1.key }) { json.key(reason); json.int(n) }
        json.endObject()
        json.endObject()
    }
}
