// SeriesSpread: the pointwise mean, minimum, maximum and standard deviation of several snapshot series, to draw a
// group's mean line with a band around it.

/// Several series (e.g. the seeds of one configuration) summarised at every step any of them has.
public struct SeriesSpread: Sendable, Equatable {
    /// Every step of any series, ascending.
    public let steps: [Int]
    /// Mean of the finite values at each step (nil where there is none), as ``SeriesAverage/pointwiseMean(_:)``.
    public let mean: [Double?]
    /// Smallest and largest finite value at each step (nil where there is none).
    public let minimum: [Double?]
    public let maximum: [Double?]
    /// Sample standard deviation √(Σ (xᵢ − x̄)² / (n − 1)) at each step, as ``SampleSummary``; nil where fewer
    /// than two series have a finite value.
    public let standardDeviation: [Double?]
    /// How many series have a finite value at each step.
    public let counts: [Int]

    /// Summarises `series` pointwise.
    ///
    /// - Edge cases: nil, NaN and ±infinity values are skipped (a diverged seed does not make the band infinite);
    ///   no series → every array empty.
    /// - Precondition: each series has as many values as steps.
    public init(_ series: [(steps: [Int], values: [Double?])]) {
        var byStep: [Int: [Double]] = [:]
        for (steps, values) in series {
            precondition(steps.count == values.count, "a series needs one value per step")
            for (step, value) in zip(steps, values) {
                if let value, value.isFinite { byStep[step, default: []].append(value) } else if byStep[step] == nil {
                    byStep[step] = []
                }
            }
        }
        steps = byStep.keys.sorted()
        let summaries = steps.map { SampleSummary(byStep[$0]!) }
        mean = summaries.map(\.mean)
        standardDeviation = summaries.map(\.standardDeviation)
        minimum = steps.map { byStep[$0]!.min() }
        maximum = steps.map { byStep[$0]!.max() }
        counts = summaries.map(\.count)
    }
}
