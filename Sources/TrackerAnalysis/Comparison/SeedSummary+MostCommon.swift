// The class most seeds of a configuration fell in, for one-cell summaries such as "rise_then_decay 4/5".

extension SeedSummary {
    /// The class with the most results and how many it has; ties go to the class listed first in
    /// ``PhaseClass/allCases`` (rise_then_decay before rise, decay, flat, insufficient, non_finite).
    ///
    /// nil when there are no results.
    public var mostCommonClass: (phaseClass: PhaseClass, count: Int)? {
        guard seedCount > 0 else { return nil }
        var best: (phaseClass: PhaseClass, count: Int)?
        for phaseClass in PhaseClass.allCases {
            let count = classCounts[phaseClass] ?? 0
            if count > (best?.count ?? 0) { best = (phaseClass, count) }
        }
        return best
    }
}
