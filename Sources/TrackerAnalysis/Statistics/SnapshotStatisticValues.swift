// The statistics of one probe point at one snapshot, as computed by StatisticsWorkspace.

/// Every statistic of one (samples, units) activation matrix: the unit counts and means of ``CorrelationSummary``,
/// one optional value per registered scalar statistic, and the histogram of r.
///
/// A value is nil when its statistic was not selected or is undefined for this matrix (no live pair, a NaN or
/// infinite activation, no labels, no reference snapshot, ...); each entry of ``SnapshotStatistic/all`` says when.
public struct SnapshotStatisticValues: Sendable, Equatable {
    /// Units, samples, dead and non-finite units, pairs, mean |r| and mean r.
    public var summary: CorrelationSummary
    /// Indexed like ``SnapshotStatistic/all``; the histogram's slot is always nil (see ``histogram``).
    public var values: [Double?]
    /// Counts of live pairs per bin of ``CorrelationHistogram`` (they add up to `summary.pairCount`); nil when not
    /// selected or when r is undefined.
    public var histogram: [UInt32]?

    public init(summary: CorrelationSummary, values: [Double?], histogram: [UInt32]?) {
        precondition(values.count == SnapshotStatistic.all.count, "one value per registered statistic")
        self.summary = summary
        self.values = values
        self.histogram = histogram
    }

    /// The value of the statistic named `name` (nil when undefined, not selected, or not a scalar).
    public subscript(name: String) -> Double? {
        SnapshotStatistic.all.firstIndex { $0.name == name }.flatMap { values[$0] }
    }

    /// The value of `statistic`.
    public subscript(statistic: SnapshotStatistic) -> Double? { self[statistic.name] }
}
