/// A learner in a course run: the unit whose events are sorted and whose gaps are summed.
public struct StreamKey: Hashable, Sendable {
    public var user: Int64
    public var course: UInt32
}

/// (user, course) streams numbered densely in the order first met, looked up once per event.
///
/// Why not a Dictionary: its SipHash, run for every event, was a twentieth of the whole run; keys
/// here are two integers, for which a multiply-shift hash into an open-addressing table is enough.
/// An adversary choosing user ids can at worst make lookups slower, never wrong.
struct StreamTable {
    /// Every stream's key, by number.
    private(set) var keys: [StreamKey] = []
    /// Open addressing with the key in the slot, so a lookup touches one place in memory; `id` is
    /// the stream number + 1, or 0 for an empty slot. The key's fields are laid out here rather
    /// than as a StreamKey, which would pad the slot from 16 bytes to 24.
    private struct Slot {
        var user: Int64 = 0
        var course: UInt32 = 0
        var id: UInt32 = 0

        init() {}

        init(key: StreamKey, id: UInt32) {
            user = key.user
            course = key.course
            self.id = id
        }

        @inline(__always)
        func holds(_ key: StreamKey) -> Bool { user == key.user && course == key.course }
    }
    private var slots = [Slot](repeating: Slot(), count: 1024)
    /// The stream of the previous event, which the next one often shares.
    private var last: (key: StreamKey, id: UInt32)?

    var count: Int { keys.count }

    @inline(__always)
    private static func hash(_ k: StreamKey) -> Int {
        let h = (UInt64(bitPattern: k.user) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(k.course) &* 0xC2B2_AE3D_27D4_EB4F)
        return Int(truncatingIfNeeded: h ^ (h >> 31))
    }

    /// The number of `key`'s stream, added when new.
    @_optimize(speed)
    mutating func id(of key: StreamKey) -> UInt32 {
        if let last, last.key == key { return last.id }
        let mask = slots.count - 1
        var i = Self.hash(key) & mask
        while slots[i].id != 0 {
            if slots[i].holds(key) {
                let id = slots[i].id - 1
                last = (key, id)
                return id
            }
            i = (i + 1) & mask
        }
        let id = UInt32(keys.count)
        keys.append(key)
        slots[i] = Slot(key: key, id: id + 1)
        if keys.count * 2 > slots.count { grow() }
        last = (key, id)
        return id
    }

    private mutating func grow() {
        slots = [Slot](repeating: Slot(), count: slots.count * 2)
        let mask = slots.count - 1
        for (id, key) in keys.enumerated() {
            var i = Self.hash(key) & mask
            while slots[i].id != 0 { i = (i + 1) & mask }
            slots[i] = Slot(key: key, id: UInt32(id + 1))
        }
    }
}
