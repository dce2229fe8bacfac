// The fixed-bin histogram of r over pairs, and its compact byte layout in the store.
import Foundation

/// 40 equal bins of r on [−1, 1], placed exactly as `numpy.histogram(r, bins=40, range=(-1, 1))` places them.
///
/// Edges e_k = k · 0.05 + (−1) for k < 40 and e_40 = 1 (numpy.linspace's arithmetic); bin k holds
/// e_k ≤ r < e_{k+1}, the last bin also r = 1. A value's bin is ⌊(r + 1)/2 · 40⌋, then moved by one where rounding
/// put it on the wrong side of an edge (numpy's own correction), so counts agree with NumPy's bin for bin.
///
/// **Byte layout** (`snapshot_histograms.counts`): 40 unsigned 32-bit little-endian integers, bin 0 (r near −1)
/// first; 160 bytes. The counts add up to the snapshot's `pair_count`. NumPy:
/// `numpy.frombuffer(blob, dtype='<u4')`, with edges `numpy.linspace(-1, 1, 41)`.
public enum CorrelationHistogram {
    public static let binCount = 40
    public static let lowerEdge = -1.0
    public static let upperEdge = 1.0
    static let step = (upperEdge - lowerEdge) / Double(binCount)

    /// The lower edge of bin `k` (0 ≤ k ≤ 40; edge 40 is 1).
    public static func edge(_ k: Int) -> Double {
        k == binCount ? upperEdge : Double(k) * step + lowerEdge
    }

    /// The bin of r ∈ [−1, 1] (precondition: r is in range).
    @inline(__always)
    public static func bin(_ r: Double) -> Int {
        var index = Int((r - lowerEdge) / (upperEdge - lowerEdge) * Double(binCount))
        if index == binCount { index -= 1 }
        if r < edge(index) {
            index -= 1
        } else if index != binCount - 1 && r >= edge(index + 1) {
            index += 1
        }
        return index
    }

    /// The 160-byte little-endian encoding of 40 counts.
    public static func encode(_ counts: [UInt32]) -> Data {
        precondition(counts.count == binCount, "a histogram has \(binCount) bins")
        var data = Data(capacity: binCount * 4)
        for count in counts { withUnsafeBytes(of: count.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The counts of a 160-byte encoding, or nil when the data has another size.
    public static func decode(_ data: Data) -> [UInt32]? {
        guard data.count == binCount * 4 else { return nil }
        return (0..<binCount).map { bin in
            var value: UInt32 = 0
            for byte in 0..<4 { value |= UInt32(data[data.startIndex + bin * 4 + byte]) << (8 * byte) }
            return value
        }
    }
}
