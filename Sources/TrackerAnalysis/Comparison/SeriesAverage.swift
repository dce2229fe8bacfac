// SeriesAverage: the pointwise mean of several snapshot series, to draw one trajectory for a group of runs.

/// Averages series that share (most of) their steps, such as the seeds of one configuration.
public enum SeriesAverage {
    /// The mean of the series at every step that any of them has, in ascending step order.
    ///
    /// - Formula: at step t, the mean of the non-nil values of the series that have a value at t.
    /// - Edge cases: a step where no series has a value (all nil) gets nil; no series → empty. A series listing a
    ///   step twice counts each value. Seeds of one configuration share their snapshot steps; series on other
    ///   schedules simply contribute at their own steps.
    /// - Precondition: each series has as many values as steps.
    public static func pointwiseMean(_ series: [(steps: [Int], values: [Double?])]) -> (steps: [Int], values: [Double?]) {
        var sums: [Int: (total: Double, count: Int)] = [:]
        for (steps, values) in series {
            precondition(steps.count == values.count, "a series needs one value per step")
            for (step, value) in zip(steps, values) {
                var entry = sums[step] ?? (0, 0)
                if let value, value.isFinite {
                    entry.total += value
                    entry.count += 1
                }
                sums[step] = entry
            }
        }
        let steps = sums.keys.sorted()
        return (steps, steps.map { step in
            let entry = sums[step]!
            return entry.count == 0 ? nil : entry.total / Double(entry.count)
        })
    }
}
