// PeakProminence: local maxima and their topographic prominence, as scipy.signal.find_peaks and peak_prominences.

/// Peaks of a sampled curve and how far each stands out, with scipy's exact definitions.
///
/// Both functions reproduce `scipy.signal.find_peaks(values)` (no conditions) and
/// `scipy.signal.peak_prominences(values, peaks)` (no `wlen`) bit for bit: the same comparisons and the one
/// subtraction, so tests compare with `==` against fixtures from scripts/make_phase_fixtures.py.
/// Inputs must be finite (NaN compares false both ways and would make the definitions meaningless).
public enum PeakProminence {
    /// Indices of the local maxima, ascending.
    ///
    /// - Definition: i is a peak when values[i − 1] < values[i] and the run of samples equal to values[i]
    ///   that starts at i ends before the last sample and is followed by a smaller one. A flat top reports its
    ///   middle sample (the left one of the two middles when its length is even). The first and last samples
    ///   are never peaks, nor is a flat top that reaches either end.
    /// - Edge cases: fewer than 3 samples → no peaks.
    public static func localMaxima(_ values: [Double]) -> [Int] {
        var peaks: [Int] = []
        let last = values.count - 1
        var i = 1
        while i < last {
            if values[i - 1] < values[i] {
                var ahead = i + 1
                while ahead < last && values[ahead] == values[i] { ahead += 1 }
                if values[ahead] < values[i] {
                    peaks.append((i + ahead - 1) / 2)
                    i = ahead
                }
            }
            i += 1
        }
        return peaks
    }

    /// The prominence of each peak: its height above the higher of the two lowest points that separate it
    /// from higher ground.
    ///
    /// - Formula: for peak p, let L be the nearest index left of p with values[L] > values[p] (or −1) and R the
    ///   nearest index right of p with values[R] > values[p] (or n). Then
    ///   prominence = values[p] − max(min values(L, p], min values[p, R)). Units of `values`, ≥ 0.
    /// - Cost: O(n) for all peaks together (one monotone stack per direction), not O(n) per peak.
    /// - Precondition: every index in `peaks` is a valid index of `values`.
    public static func prominences(_ values: [Double], peaks: [Int]) -> [Double] {
        guard !peaks.isEmpty else { return [] }
        precondition(peaks.allSatisfy { values.indices.contains($0) }, "peak index outside the series")
        let leftMinimum = minimumBackToHigher(values, reversed: false)
        let rightMinimum = minimumBackToHigher(values, reversed: true)
        return peaks.map { values[$0] - max(leftMinimum[$0], rightMinimum[$0]) }
    }

    /// For every index i, the minimum of values over (L, i], L the nearest earlier index holding a strictly
    /// greater value (or the start); with `reversed`, the same looking right: over [i, R).
    ///
    /// A monotone stack of (value, minimum of the stretch it covers): each new value absorbs the stretches of
    /// the entries it is ≥ to, so the entry left on top is exactly the nearest strictly greater value.
    private static func minimumBackToHigher(_ values: [Double], reversed: Bool) -> [Double] {
        let count = values.count
        var result = [Double](repeating: 0, count: count)
        var stackValues: [Double] = []
        var stackMinima: [Double] = []
        stackValues.reserveCapacity(count)
        stackMinima.reserveCapacity(count)
        for offset in 0..<count {
            let i = reversed ? count - 1 - offset : offset
            let value = values[i]
            var minimum = value
            while let top = stackValues.last, top <= value {
                minimum = min(minimum, stackMinima.removeLast())
                stackValues.removeLast()
            }
            stackValues.append(value)
            stackMinima.append(minimum)
            result[i] = minimum
        }
        return result
    }
}
