/// Items waiting for a time (retry backoff, rate-limit slots), earliest first: a binary heap.
/// Items due at the same time come out in the order they went in.
struct TimerQueue<Item> {
    private var heap: [(due: Double, seq: Int, item: Item)] = []
    private var seq = 0

    /// When the earliest item is due.
    var nextDue: Double? { heap.first?.due }

    mutating func push(_ item: Item, due: Double) {
        seq += 1
        heap.append((due, seq, item))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the earliest item when it is due at `now`.
    mutating func popDue(now: Double) -> Item? {
        guard let first = heap.first, first.due <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count && less(l, m) { m = l }
                if r < heap.count && less(r, m) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return first.item
    }

    /// Removes every item, earliest first.
    mutating func drain() -> [Item] {
        var out: [Item] = []
        while let item = popDue(now: .infinity) { out.append(item) }
        return out
    }

    /// Removes the items for which `predicate` holds and returns them.
    mutating func removeAll(where predicate: (Item) -> Bool) -> [Item] {
        let all = heap.sorted { $0.due < $1.due || ($0.due == $1.due && $0.seq < $1.seq) }
        heap.removeAll()
        var removed: [Item] = []
        for entry in all {
            if predicate(entry.item) { removed.append(entry.item) } else { push(entry.item, due: entry.due) }
        }
        return removed
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].due < heap[b].due || (heap[a].due == heap[b].due && heap[a].seq < heap[b].seq)
    }
}
