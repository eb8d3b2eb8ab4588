#if canImport(Glibc)
import Glibc
#endif

/// Course run keys interned to dense small numbers, looked up by their bytes without building a
/// String per event: a site has a few thousand course runs and millions of events naming them.
public struct CourseKeys {
    /// Every key's bytes, one after another.
    private var arena: [UInt8] = []
    /// Where each key (by id) starts in `arena`, and its length.
    private var spans: [(start: Int, count: Int)] = []
    /// Open addressing: each slot holds id + 1, or 0 when empty.
    private var slots = [UInt32](repeating: 0, count: 64)
    private var hashes: [UInt64] = []

    public init() {}

    public var count: Int { spans.count }

    /// The id of `key`, added when new.
    @_optimize(speed)
    public mutating func id(of key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = LineHash.of(key)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            let id = Int(slots[i] - 1)
            if hashes[id] == h && equals(id, key) { return UInt32(id) }
            i = (i + 1) & mask
        }
        let id = UInt32(spans.count)
        spans.append((arena.count, key.count))
        arena.append(contentsOf: key)
        hashes.append(h)
        slots[i] = id + 1
        if spans.count * 2 > slots.count { grow() }
        return id
    }

    /// The key with id `id`.
    public func key(_ id: UInt32) -> String {
        let s = spans[Int(id)]
        return String(decoding: arena[s.start..<s.start + s.count], as: UTF8.self)
    }

    /// Calls `body` with the bytes of the key with id `id`.
    func withKey<R>(_ id: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let s = spans[Int(id)]
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[s.start..<s.start + s.count])) }
    }

    private func equals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = spans[id]
        guard s.count == key.count else { return false }
        if s.count == 0 { return true }
        return arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + s.start, key.baseAddress!, s.count) == 0 }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(id + 1)
        }
    }
}

/// A fast 64-bit hash of a line's bytes, 32 at a time in four independent lanes (one lane's chain of
/// multiplies was a seventh of a rollup): for telling exact duplicate lines apart and finding
/// interned keys, not for anything an attacker could profit from colliding (a collision at most
/// merges two events of one learner at the same microsecond, whose gap counts 0 anyway).
public enum LineHash {
    @inline(__always)
    public static func of(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let m: UInt64 = 0xFF51_AFD7_ED55_8CCD
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        guard let p = b.baseAddress else { return h }
        let raw = UnsafeRawPointer(p)
        var i = 0
        if b.count >= 32 {
            var l0 = h
            var l1: UInt64 = 0xC2B2_AE3D_27D4_EB4F
            var l2: UInt64 = 0x1656_67B1_9E37_79F9
            var l3: UInt64 = 0x27D4_EB2F_1656_67C5
            while i + 32 <= b.count {
                l0 = (l0 ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* m
                l1 = (l1 ^ raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)) &* m
                l2 = (l2 ^ raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)) &* m
                l3 = (l3 ^ raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)) &* m
                l0 ^= l0 >> 32
                l1 ^= l1 >> 32
                l2 ^= l2 >> 32
                l3 ^= l3 >> 32
                i += 32
            }
            h = ((l0 &* m) ^ (l1 &* 0xC4CE_B9FE_1A85_EC53)).rotated(16) ^ (l2 &* m).rotated(32) ^ l3
        }
        while i + 8 <= b.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* m
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < b.count {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        return h
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
