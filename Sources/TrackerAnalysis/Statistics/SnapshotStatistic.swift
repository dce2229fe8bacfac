// The statistics registry: every statistic a snapshot can record, with its definition, unit, reference and noise floor.

/// One statistic of a probe point's activations at a snapshot: how it is named in the store (a column of
/// `snapshots`, or for the histogram its own table), what it means, and what it costs.
///
/// Adding a statistic is one entry in ``all`` (with its computation in ``StatisticsWorkspace``) and one migration
/// that adds its column (`ALTER TABLE snapshots ADD COLUMN name REAL`) and recreates the `snapshot_series` view;
/// the recorder, `--statistics`, `tracker show --stat`, `tracker phases --stat`, `tracker correlate` and
/// `tracker ingest` all read this list.
///
/// Conventions for every entry: R is the Pearson matrix over the *live* units (neither dead nor non-finite, see
/// ``CorrelationStatistics``), "pairs" are live pairs i < j (P of them), N is the number of rows of the activation
/// matrix (probe samples, × time steps for `time_pooled`), D the units, and C the population covariance
/// C = (1/N) XᵀX of the centred activations X over all units (a dead unit has a zero row and column). Any NaN or
/// infinite activation makes every statistic computed from R or C undefined (NULL), with the unit counts stored.
public struct SnapshotStatistic: Sendable, Hashable, CustomStringConvertible {
    /// What the statistic is stored as.
    public enum Kind: Sendable, Hashable {
        /// One REAL: a column of `snapshots` of the same name.
        case scalar
        /// Counts of pairs per bin: a BLOB in `snapshot_histograms` (see ``CorrelationHistogram``).
        case histogram
    }

    /// Which computation a statistic needs beyond the correlation matrix, and so what it costs per snapshot.
    public enum Cost: Int, Sendable, Hashable, Comparable {
        /// O(D²) over the matrix the snapshot computes anyway (or O(1)).
        case pairs
        /// O(N·D) over the activations once more (class means).
        case activations
        /// A product of the size of the correlation itself (O(N·D²)) per reference snapshot.
        case crossProduct
        /// A symmetric eigendecomposition, O(min(N, D)³).
        case eigendecomposition

        public static func < (a: Cost, b: Cost) -> Bool { a.rawValue < b.rawValue }
    }

    /// The name in the store and on the command line (snake_case), e.g. `mean_abs_r`.
    public let name: String
    public let kind: Kind
    /// The formula, in one line.
    public let definition: String
    /// "dimensionless", "units", "(activation units)⁴", "pairs per bin".
    public let unit: String
    /// Where the statistic comes from, for the schema doc.
    public let reference: String
    public let cost: Cost
    /// Whether `--statistics default` (the default) records it.
    public let isDefault: Bool
    /// The statistic's expected value for independent units measured on N samples, when there is a simple one.
    private let floor: (@Sendable (Int) -> Double)?

    init(_ name: String, _ kind: Kind = .scalar, definition: String, unit: String, reference: String, cost: Cost,
         isDefault: Bool, noiseFloor: (@Sendable (Int) -> Double)? = nil) {
        self.name = name
        self.kind = kind
        self.definition = definition
        self.unit = unit
        self.reference = reference
        self.cost = cost
        self.isDefault = isDefault
        self.floor = noiseFloor
    }

    /// The level independent units would show on `samples` rows, or nil when the statistic has no simple one.
    public func noiseFloor(samples: Int) -> Double? {
        guard samples >= 2, let floor else { return nil }
        return floor(samples)
    }

    /// Whether a noise floor is defined for the statistic.
    public var hasNoiseFloor: Bool { floor != nil }

    public var description: String { name }

    public static func == (a: SnapshotStatistic, b: SnapshotStatistic) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension SnapshotStatistic {
    /// Every statistic, in the order of ``SnapshotStatisticValues/values`` and of the `snapshots` columns.
    public static let all: [SnapshotStatistic] = [
        SnapshotStatistic(
            "mean_abs_r", definition: "(1/P) Σ_{i<j} |r_ij| over live pairs", unit: "dimensionless, [0, 1]",
            reference: "Pearson (1895); tracker #2", cost: .pairs, isDefault: true,
            noiseFloor: { NoiseFloor.meanAbsR(probeSamples: $0) }),
        SnapshotStatistic(
            "mean_r", definition: "(1/P) Σ_{i<j} r_ij over live pairs", unit: "dimensionless, [−1, 1]",
            reference: "Pearson (1895); tracker #2", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "mean_r_squared",
            definition: "(1/P) Σ_{i<j} r_ij²; the participation ratio of R is D/(1 + (D − 1)·mean_r_squared) with D "
                + "live units, so it is not stored apart",
            unit: "dimensionless, [0, 1]", reference: "Gao et al. (2017), A theory of multineuronal dimensionality",
            cost: .pairs, isDefault: true, noiseFloor: { 1 / Double($0 - 1) }),
        SnapshotStatistic(
            "sd_r", definition: "√((1/P) Σ_{i<j} (r_ij − mean_r)²), population standard deviation over live pairs",
            unit: "dimensionless, [0, 1]", reference: "the spread of the pair distribution (two-pass sum)",
            cost: .pairs, isDefault: true, noiseFloor: { 1 / Double($0 - 1).squareRoot() }),
        SnapshotStatistic(
            "fraction_abs_r_above_0_5", definition: "#{i<j : |r_ij| > 0.5} / P", unit: "dimensionless, [0, 1]",
            reference: "strongly correlated pairs", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "fraction_abs_r_above_0_9", definition: "#{i<j : |r_ij| > 0.9} / P", unit: "dimensionless, [0, 1]",
            reference: "near-duplicate pairs", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "max_abs_r", definition: "max_{i<j} |r_ij| over live pairs", unit: "dimensionless, [0, 1]",
            reference: "the most redundant pair", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "noise_floor_abs_r",
            definition: "√(2/(π N)): the mean |r| of independent units on N rows (large-N value of E|r|)",
            unit: "dimensionless",
            reference: "Fisher (1915), the sampling distribution of r: √N·r → Z ~ Normal(0, 1), E|Z| = √(2/π)",
            cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "dead_fraction", definition: "dead units / D (finite units with no variation over the rows)",
            unit: "dimensionless, [0, 1]", reference: "tracker #2 (dead-unit rule in CorrelationStatistics)",
            cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "r_histogram", .histogram,
            definition: "counts of live pairs in 40 bins of width 0.05 on [−1, 1], bin k = [−1 + 0.05k, −1 + 0.05(k+1)), "
                + "the last closed (numpy.histogram's edges)",
            unit: "pairs per bin", reference: "numpy.histogram(r, bins=40, range=(-1, 1))", cost: .pairs,
            isDefault: true),
        SnapshotStatistic(
            "decov_per_pair", definition: "½ Σ_{i≠j} C_ij² / (D (D − 1)) over all D units",
            unit: "(activation units)⁴", reference: "Cogswell et al. (2016), Reducing overfitting in deep networks by "
                + "decorrelating representations (DeCov), per ordered pair", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "participation_ratio", definition: "(tr C)² / tr(C²), in [1, D]", unit: "units (dimensions)",
            reference: "Gao et al. (2017); Recanatesi et al. (2019)", cost: .pairs, isDefault: true),
        SnapshotStatistic(
            "class_selectivity",
            definition: "mean over live units with non-negative activations of (μ_max − μ_rest)/(μ_max + μ_rest), "
                + "μ_max the largest class mean, μ_rest the mean of the other class means",
            unit: "dimensionless, [0, 1]", reference: "Morcos et al. (2018), On the importance of single directions "
                + "for generalization", cost: .activations, isDefault: true),
        SnapshotStatistic(
            "effective_rank", definition: "exp(−Σ_k p_k ln p_k), p_k = λ_k / Σ λ over the eigenvalues of C "
                + "(LAPACK dsyevd; negative rounding eigenvalues taken as 0)",
            unit: "units (dimensions), [1, D]", reference: "Roy & Vetterli (2007), The effective rank",
            cost: .eigendecomposition, isDefault: false),
        SnapshotStatistic(
            "cka_previous",
            definition: "linear CKA ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) of the centred activations X against the same "
                + "probe point's Y at the previous snapshot",
            unit: "dimensionless, [0, 1]", reference: "Kornblith et al. (2019), Similarity of neural network "
                + "representations revisited", cost: .crossProduct, isDefault: false),
        SnapshotStatistic(
            "cka_initial", definition: "linear CKA of X against the same probe point at the first snapshot (step 0)",
            unit: "dimensionless, [0, 1]", reference: "Kornblith et al. (2019)", cost: .crossProduct,
            isDefault: false),
        SnapshotStatistic(
            "cka_previous_debiased",
            definition: "cka_previous with the unbiased HSIC estimator (for small N: the plain one is biased "
                + "upwards when N is not much larger than D)",
            unit: "dimensionless", reference: "Song et al. (2012) unbiased HSIC; Nguyen, Raghu & Kornblith (2021)",
            cost: .crossProduct, isDefault: false),
        SnapshotStatistic(
            "cka_initial_debiased", definition: "cka_initial with the unbiased HSIC estimator",
            unit: "dimensionless", reference: "Song et al. (2012); Nguyen, Raghu & Kornblith (2021)",
            cost: .crossProduct, isDefault: false),
    ]

    /// The statistic named `name`, or nil.
    public static func named(_ name: String) -> SnapshotStatistic? { all.first { $0.name == name } }

    /// The scalar statistics (every column of `snapshots` that holds one), in registry order.
    public static var scalars: [SnapshotStatistic] { all.filter { $0.kind == .scalar } }

    /// The position of `name` in ``all``.
    static func index(of name: String) -> Int {
        guard let index = all.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("no statistic named \(name) in the registry")
        }
        return index
    }
}
