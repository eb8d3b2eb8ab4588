/// A first-in first-out queue on an array, without the cost of removing from the front.
///
/// Elements taken from the front are dropped from the storage once they are over half of it, so a
/// queue that never runs empty on an endless stream still holds only about twice its backlog.
/// Positions (`0..<count`) count from the front.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: Element? { isEmpty ? nil : items[head] }

    /// Elements held, taken ones not yet dropped included; for tests of the bound.
    var storageCount: Int { items.count }

    subscript(position: Int) -> Element {
        get { items[head + position] }
        set { items[head + position] = newValue }
    }

    mutating func append(_ e: Element) { items.append(e) }

    /// Lets `body` change every element in place, front to back, without copying any.
    mutating func updateEach(_ body: (inout Element) -> Void) {
        for i in head..<items.count { body(&items[i]) }
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let e = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }

    mutating func drain() -> [Element] {
        let out = Array(items[head...])
        items.removeAll(keepingCapacity: true)
        head = 0
        return out
    }
}
