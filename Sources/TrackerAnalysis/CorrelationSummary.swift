// CorrelationSummary: the per-layer, per-snapshot numbers that summarise a correlation matrix.

/// Summary of one hidden layer's Pearson correlation matrix at one snapshot.
///
/// Every unit of the layer falls in exactly one of three classes (see ``CorrelationStatistics`` for the
/// precise rules):
/// - *non-finite*: at least one of its values over the probe set is NaN or ±infinity;
/// - *dead*: finite, but its values do not vary over the probe set (a ReLU that always outputs 0, a unit
///   stuck at 3.7), or there are fewer than 2 samples;
/// - *live*: everything else. Only pairs of live units have a correlation.
///
/// So `units == liveUnits + deadUnits + nonFiniteUnits` and `pairCount == liveUnits · (liveUnits − 1) / 2`.
public struct CorrelationSummary: Sendable, Equatable, Codable {
    /// Units in the layer (columns of the activation matrix).
    public let units: Int
    /// Probe samples used (rows of the activation matrix).
    public let samples: Int
    /// Finite units with no variation over the probe set; excluded from pairs.
    public let deadUnits: Int
    /// Units with at least one NaN or infinite value over the probe set; excluded from pairs.
    /// When this is nonzero, ``meanAbsR`` and ``meanR`` are nil (the layer's statistic is undefined).
    public let nonFiniteUnits: Int
    /// Live pairs i < j: L(L − 1)/2 with L = units − deadUnits − nonFiniteUnits.
    public let pairCount: Int
    /// Mean of |r_ij| over live pairs i < j, in [0, 1]; nil when pairCount == 0 or nonFiniteUnits > 0.
    public let meanAbsR: Double?
    /// Signed mean of r_ij over live pairs i < j, in [−1, 1]; nil when pairCount == 0 or nonFiniteUnits > 0.
    public let meanR: Double?

    /// Units that are neither dead nor non-finite: `units − deadUnits − nonFiniteUnits`.
    public var liveUnits: Int { units - deadUnits - nonFiniteUnits }

    public init(units: Int, samples: Int, deadUnits: Int, nonFiniteUnits: Int = 0, pairCount: Int,
                meanAbsR: Double?, meanR: Double?) {
        self.units = units
        self.samples = samples
        self.deadUnits = deadUnits
        self.nonFiniteUnits = nonFiniteUnits
        self.pairCount = pairCount
        self.meanAbsR = meanAbsR
        self.meanR = meanR
    }
}
