// SampleSummary: count, mean and sample standard deviation of values pooled over runs ("mean ± sd, n").

/// The mean and spread of a handful of values, e.g. one layer's final mean |r| over the seeds of a configuration.
///
/// ```swift
/// let summary = SampleSummary([0.20, 0.22, 0.27])
/// // summary.count == 3, summary.mean ≈ 0.23, summary.standardDeviation ≈ 0.036
/// ```
public struct SampleSummary: Codable, Sendable, Equatable {
    /// Finite values summarised.
    public let count: Int
    /// Arithmetic mean x̄ = Σ xᵢ / n, in the values' units; nil when count == 0.
    public let mean: Double?
    /// Sample standard deviation s = √(Σ (xᵢ − x̄)² / (n − 1)), in the values' units; nil when count < 2
    /// (one value says nothing about spread).
    public let standardDeviation: Double?

    /// Summarises the finite values among `values`.
    ///
    /// - Formula: two passes (the mean first, then the squared deviations from it), so values far from zero lose
    ///   no precision to cancellation.
    /// - Edge cases: nil, NaN and ±infinity are skipped (a diverged run has no value, and must not turn the
    ///   group's mean into NaN); no finite value → count 0, mean and sd nil; one → sd nil; all equal → sd 0.
    public init(_ values: [Double?]) {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        count = finite.count
        guard !finite.isEmpty else {
            mean = nil
            standardDeviation = nil
            return
        }
        let mean = finite.reduce(0, +) / Double(finite.count)
        self.mean = mean
        if finite.count < 2 {
            standardDeviation = nil
        } else {
            let squares = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardDeviation = (squares / Double(finite.count - 1)).squareRoot()
        }
    }

    /// Summarises `values` (all of them finite, none skipped).
    public init(_ values: [Double]) {
        self.init(values.map(Optional.some))
    }
}
