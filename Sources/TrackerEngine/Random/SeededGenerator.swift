// The seeded, platform-independent random number generator (xoshiro256** seeded by SplitMix64) and its mappings.
import TrackerNumerics

/// A deterministic random number generator: xoshiro256**, its state filled from the seed by SplitMix64.
///
/// Every mapping here (uniform doubles, bounded integers, shuffles, Gaussians) is written with IEEE-754 basic
/// operations only, never with the standard library's `random(in:)` or `shuffle()` (whose algorithms may change)
/// nor with libm's `log` (which may differ in the last bit between C libraries). So a seed yields the same numbers
/// on every platform and Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    /// The second normal deviate of the last polar-method pair, returned by the next ``nextGaussian()``.
    private var spareGaussian: Double?

    /// Seeds the four state words with four successive SplitMix64 outputs of `seed`.
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        s0 = splitMix.next()
        s1 = splitMix.next()
        s2 = splitMix.next()
        s3 = splitMix.next()
        spareGaussian = nil
    }

    /// A seed derived from several values (e.g. run seed, step, layer) by chained SplitMix64 finalisers, so nearby
    /// inputs give unrelated seeds.
    @_disfavoredOverload  // three values take the allocation-free overload below
    public static func mix(_ values: UInt64...) -> UInt64 {
        var hash = mixStart
        for value in values { hash = mixStep(hash, value) }
        return hash
    }

    /// ``mix(_:)`` of three values without the variadic array, which allocates: dropout draws a generator from
    /// (seed, step, layer) in every training step.
    public static func mix(_ first: UInt64, _ second: UInt64, _ third: UInt64) -> UInt64 {
        mixStep(mixStep(mixStep(mixStart, first), second), third)
    }

    private static let mixStart: UInt64 = 0x7472_6163_6B65_7221    // "tracker!"

    @inline(__always) private static func mixStep(_ hash: UInt64, _ value: UInt64) -> UInt64 {
        SplitMix64.finalize(hash ^ value &+ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, by: 45)
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³ (exact).
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in `0..<bound`, unbiased (Lemire's multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A standard normal deviate N(0, 1) by Marsaglia's polar method.
    ///
    /// Draw u, v uniform in (−1, 1) until s = u² + v² ∈ (0, 1); then u·√(−2 ln s / s) and v·√(−2 ln s / s) are two
    /// independent N(0, 1) values (the second is kept for the next call). `ln` is ``portableLog(_:)``.
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * portableLog(s) / s).squareRoot()
                spareGaussian = v * factor
                return u * factor
            }
        }
    }

    /// Shuffles `elements` in place (Fisher–Yates with ``nextInt(below:)``).
    public mutating func shuffle<Elements: MutableCollection & RandomAccessCollection>(_ elements: inout Elements)
    where Elements.Index == Int {
        let start = elements.startIndex
        var last = elements.count - 1
        while last > 0 {
            let other = nextInt(below: last + 1)
            elements.swapAt(start + last, start + other)
            last -= 1
        }
    }
}

@inline(__always)
private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}

/// The natural logarithm of a positive finite `x` using IEEE-754 basic operations only, so it gives the same bits
/// everywhere (libm's `log` is allowed to differ by an ulp between C libraries).
///
/// x = m · 2ᵉ with m ∈ [√½, √2); ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …) with s = (m − 1)/(m + 1), |s| ≤ 0.172,
/// summed to s²⁷ (the next term is below 10⁻²⁰); ln x = ln m + e·ln 2. Accurate to a few ulps.
public func portableLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "portableLog needs a positive finite argument, got \(x)")
    var exponent = Double(x.exponent)
    var mantissa = x.significand                 // [1, 2), exact
    if mantissa > 1.414_213_562_373_095_1 {
        mantissa /= 2                            // exact
        exponent += 1
    }
    let s = (mantissa - 1) / (mantissa + 1)
    let s2 = s * s
    var term = s
    var sum = s
    var denominator = 3.0
    while denominator <= 27 {
        term *= s2
        sum += term / denominator
        denominator += 2
    }
    return 2 * sum + exponent * 0.693_147_180_559_945_3
}
