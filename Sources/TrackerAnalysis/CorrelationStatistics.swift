// CorrelationStatistics: Pearson correlation of a layer's units and its summary, as pure functions over arrays.

/// Pearson correlations between the units (columns) of a layer's activations over a probe set.
///
/// Input everywhere is a row-major (samples, units) `Float` matrix: `values[k · units + j]` is unit j's
/// activation on probe sample k. All arithmetic is in `Double`.
///
/// **Definitions.** With n = samples, for unit j let μ_j = (1/n) Σ_k x_kj and
/// σ_j = √((1/n) Σ_k (x_kj − μ_j)²) (population standard deviation, same units as the activations). Then
///
///     r_ij = Σ_k (x_ki − μ_i)(x_kj − μ_j) / √(Σ_k (x_ki − μ_i)² · Σ_k (x_kj − μ_j)²)   (dimensionless)
///
/// which is the usual cov_ij / (σ_i σ_j). It is computed by shifting each column by its first value (exact
/// for a constant column), centring, forming DᵀD of the deviations with `cblas_dsyrk` (and `dgemm` for the blocks
/// of other threads), and scaling each entry by the two columns' 1/‖d‖. Off-diagonal r is clamped to [−1, 1] after
/// rounding; the diagonal of a live unit is exactly 1.
///
/// **Unit classes** (a unit is in exactly one; rules checked in this order):
/// 1. *Non-finite*: some x_kj is NaN or ±infinity. Its row and column of the matrix are NaN, and
///    the layer's ``CorrelationSummary/meanAbsR`` and ``CorrelationSummary/meanR`` are nil: a mean over the
///    remaining units would look like an ordinary number on a plot while the network has diverged, so the
///    statistic is reported as undefined and ``CorrelationSummary/nonFiniteUnits`` says why.
///    Per-pair r between two finite units is still well defined and still reported in the matrix.
/// 2. *Dead*: n < 2 (no variance is defined), or σ_j ≤ ``deadUnitRelativeThreshold`` · max_k |x_kj|
///    (σ_j computed in `Double` after the shift by the first value, so it is exactly 0 for a constant column).
///    For `Float` input with fewer than about 1.8·10⁹ samples this is exactly "all values identical": two
///    distinct float32 values differ by more than 2⁻²⁴ of the larger magnitude M, so a non-constant column has
///    σ > 2⁻²⁴ M / √(2n). Hence a ReLU that always outputs 0 and a unit stuck at 3.7 are dead, while any
///    genuine variation, however small in absolute terms (activations of order 1e-30) or relative terms
///    (one float32 step on one sample), is live. The relative (scale-free) form keeps the rule independent
///    of the activations' units. Dead rows and columns of the matrix are NaN.
/// 3. *Live*: every other unit.
///
/// **Accuracy.** The float32 inputs convert to `Double` exactly, so each r_ij carries only `Double` rounding
/// error, of order √n · 2⁻⁵³ (worst case n · 2⁻⁵³). Tests require agreement with NumPy's float64
/// `corrcoef` on the same float32 values to 1e-12 absolute; the means to 1e-12 absolute + 1e-9 relative.
/// Correlations are as meaningful as the data: a unit whose only variation is one float32 step is live,
/// and its r honestly describes that one step.
public enum CorrelationStatistics {
    /// A finite unit is dead when its population standard deviation is at most this fraction of its
    /// largest absolute value over the probe set (see the type's documentation).
    public static let deadUnitRelativeThreshold: Double = 1e-12

    /// Pearson correlation matrix of the columns (units) of a row-major (samples, units) `Float` matrix.
    ///
    /// - Formula: r_ij = cov_ij / (σ_i σ_j), computed in `Double` via BLAS (see the type's documentation).
    /// - Returns: row-major (units, units), dimensionless, exactly symmetric. Live units: diagonal exactly 1,
    ///   off-diagonal in [−1, 1], within about √samples · 2⁻⁵³ of the exact value. Rows and columns of dead
    ///   and non-finite units are NaN (diagonal included).
    /// - Edge cases: samples < 2 → every unit dead, matrix all NaN; units == 0 → empty array;
    ///   samples == 0 → all NaN.
    /// - Precondition: `values.count == samples · units`, both non-negative and at most `Int32.max`.
    public static func correlationMatrix(_ values: [Float], samples: Int, units: Int) -> [Double] {
        values.withUnsafeBufferPointer { buffer in
            CorrelationWorkspace().correlationMatrix(buffer, samples: samples, units: units)
        }
    }

    /// Dead and non-finite unit counts, live pair count, and mean |r| and mean r over live pairs i < j.
    ///
    /// - Formula: meanAbsR = (1/P) Σ_{i<j live} |r_ij|, meanR = (1/P) Σ_{i<j live} r_ij, with P = pairCount
    ///   = L(L − 1)/2, L = live units, r_ij as in ``correlationMatrix(_:samples:units:)`` (clamped).
    /// - Returns: dimensionless means; meanAbsR in [0, 1], meanR in [−1, 1]. Summation is per row, then over
    ///   rows, so the added rounding is of order units · 2⁻⁵³.
    /// - Edge cases: pairCount == 0 (fewer than 2 live units, e.g. samples < 2) → both means nil; any
    ///   non-finite value → both means nil, with nonFiniteUnits > 0 and the counts still reported.
    /// - Precondition: `values.count == samples · units`, both non-negative and at most `Int32.max`.
    public static func summarize(_ values: [Float], samples: Int, units: Int) -> CorrelationSummary {
        values.withUnsafeBufferPointer { buffer in
            CorrelationWorkspace().summarize(buffer, samples: samples, units: units)
        }
    }
}
