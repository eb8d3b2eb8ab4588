extension WebhookID {
    /// Longest id accepted: room for any Standard Webhooks, Svix or UUID id with a prefix.
    public static let maxLength = 256

    /// Why `id` cannot be a `webhook-id` header and a journal entry, or nil when it can: an id is 1 to
    /// 256 visible ASCII characters (`!` to `~`), with no space, control or non-ASCII byte. Derived ids
    /// (`msg_` and 32 hex digits) always fit.
    public static func problem(_ id: String) -> String? {
        let bytes = id.utf8
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maxLength { return "is \(bytes.count) bytes long, over the limit of \(maxLength)" }
        if let bad = bytes.firstIndex(where: { $0 < 0x21 || $0 > 0x7E }) {
            let at = bytes.distance(from: bytes.startIndex, to: bad)
            let b = bytes[bad]
            let what = b == 0x20 ? "a space" : b < 0x20 || b == 0x7F ? "a control character" : "a non-ASCII byte"
            return "has \(what) at position \(at + 1)"
        }
        return nil
    }
}
