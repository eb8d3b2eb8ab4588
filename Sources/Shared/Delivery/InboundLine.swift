import Crypto

/// An input line parsed for sending: what lt-send needs of its envelope, checked.
///
/// Parsing is the first of the three steps a line goes through (parse, route, dedupe); a line
/// that fails any of them is answered without being sent.
struct InboundLine {
    let envelope: Envelope
    /// The payload's bytes within the line, sent as they are.
    let payload: Range<Int>
    let id: String
    /// The id as a header value: built only once ``WebhookID/problem(_:)`` found nothing wrong.
    let idHeader: HeaderValue

    /// Parses `line`, or says why it cannot be sent.
    static func parse(_ line: InputLine) -> Result<InboundLine, LineRejection> {
        let envelope: Envelope
        do {
            if let total = line.truncatedFrom { throw InputError("line is \(total) bytes long, over the limit") }
            envelope = try Envelope(line.bytes)
        } catch let e as LTError {
            return .failure(LineRejection(message: e.description))
        } catch {
            return .failure(LineRejection(message: "\(error)"))
        }
        if envelope.isErrorRecord {
            return .failure(
                LineRejection(
                    message: ErrorRecord.message(of: envelope), id: envelope.id, integration: envelope.integration))
        }
        if let name = envelope.duplicateEnvelopeMember() {
            return .failure(LineRejection(message: Envelope.duplicateError(name).description))
        }
        guard let payload = envelope.payload else {
            return .failure(
                LineRejection(
                    message: "the envelope has no payload", id: envelope.id, integration: envelope.integration))
        }
        let id = WebhookID.make(for: envelope)
        if let problem = WebhookID.problem(id) ?? ((try? HeaderValue(id)) == nil ? "holds a control character" : nil) {
            // Never sent nor journaled: the id would become a header and a journal entry.
            return .failure(
                LineRejection(
                    message: "the envelope's id \(problem)",
                    hint: "an id is 1 to \(WebhookID.maxLength) visible ASCII characters (see docs/contract.md)",
                    integration: envelope.integration))
        }
        // swift-format-ignore: NeverUseForceTry
        let header = try! HeaderValue(id)  // visible ASCII, checked just above
        return .success(InboundLine(envelope: envelope, payload: payload, id: id, idHeader: header))
    }

    /// The SHA-256 of the payload's bytes, which the journal keeps for corrections.
    var digest: [UInt8] { Array(SHA256.hash(data: UnsafeRawBufferPointer(envelope.json.bytes(payload)))) }

    /// The payload's bytes, copied out of the reader's buffer.
    var body: [UInt8] { Array(envelope.json.bytes(payload)) }

    /// lt-enrich's decision for the line (whether learning time was included, why not, the key),
    /// checked, for the result, the attempt log, the metrics and corrections; nil without one.
    var enrichment: EnrichmentDecision? {
        guard let e = envelope.enrichment else { return nil }
        return EnrichmentDecision.parse(envelope.json, objectAt: e.valueStart)
    }
}
