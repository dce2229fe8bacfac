// RobustStatistics: median, the MAD-based noise estimate, and percentiles, for the phase detector and its seed summary.

/// Order statistics over finite `Double` arrays.
public enum RobustStatistics {
    /// 1.4826 ≈ 1 / Φ⁻¹(3/4): scales a median absolute deviation to the standard deviation of a normal
    /// distribution with the same MAD.
    public static let normalConsistency = 1.4826

    /// The median: the middle value of the sorted values, or the mean of the two middle values when the count is
    /// even (as numpy.median).
    ///
    /// - Returns: nil for an empty array.
    /// - Precondition: values are not NaN.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return medianOfSorted(values.sorted())
    }

    /// Robust standard deviation σ̂ = 1.4826 · median |xᵢ − median x| (the scaled median absolute deviation).
    ///
    /// Same units as the values. Insensitive to up to half of the values being outliers; 0 when more than
    /// half of the values are equal. Returns nil for an empty array.
    /// - Precondition: values are not NaN.
    public static func robustSigma(_ values: [Double]) -> Double? {
        guard let centre = median(values) else { return nil }
        let deviations = values.map { abs($0 - centre) }
        return normalConsistency * medianOfSorted(deviations.sorted())
    }

    /// The `percent`-th percentile of ascending `sorted` values, interpolating linearly between order
    /// statistics (numpy.percentile's default "linear" method).
    ///
    /// - Formula: h = (n − 1) · percent / 100, result = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) with 0-based order
    ///   statistics x₍ᵢ₎.
    /// - Precondition: `sorted` non-empty and ascending; 0 ≤ percent ≤ 100.
    public static func percentile(sorted: [Double], _ percent: Double) -> Double {
        precondition(!sorted.isEmpty, "percentile of no values")
        precondition(percent >= 0 && percent <= 100, "percentile outside 0...100")
        let position = Double(sorted.count - 1) * percent / 100
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// Median of ascending, non-empty values.
    static func medianOfSorted(_ sorted: [Double]) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
