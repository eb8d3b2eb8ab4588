extension StringProtocol {
    /// The text without leading and trailing characters from `set`.
    public func trimmed(_ set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
