/// A deterministic random source (SplitMix64), so the same seed always makes the same data.
struct AcmeRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    /// A number in `0..<1`.
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// 32 lowercase hex digits.
    mutating func hex32() -> String {
        Self.hex(next()) + Self.hex(next())
    }

    /// An id: the prefix and 32 hex digits.
    mutating func id(_ prefix: String) -> String {
        prefix + hex32()
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// A fixed mixing of two numbers, for per-request decisions that must not depend on timing.
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var random = AcmeRandom(seed: a ^ (b &* 0xD6E8_FEB8_6659_FD93))
        return random.next()
    }
}
