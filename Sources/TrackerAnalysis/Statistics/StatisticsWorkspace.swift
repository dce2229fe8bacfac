// StatisticsWorkspace: every registered statistic of a probe point's activations, on reusable buffers.
import Foundation
import TrackerNumerics

/// Computes the selected statistics of ``SnapshotStatistic/all`` for row-major (samples, units) activations, on top
/// of ``CorrelationWorkspace``'s Gram matrix, with buffers that grow to the largest shape seen and are then reused.
///
/// ```swift
/// let workspace = StatisticsWorkspace(selection: .standard)
/// let values = activations.withUnsafeBufferPointer {
///     workspace.compute($0, samples: 256, units: 128, labels: probeLabels, series: 0)
/// }
/// values["mean_r_squared"]   // Double?
/// ```
///
/// **Cost.** Everything of cost ``SnapshotStatistic/Cost/pairs`` comes from one pass over the upper triangle of R
/// (a second only for `sd_r`, whose two-pass sum avoids the cancellation of mean(r²) − mean(r)²), with the unit
/// variances for C: C_ij = r_ij σ_i σ_j, so tr C = Σ σ², tr C² = Σ σ⁴ + 2 Σ_{i<j} r_ij² σ_i² σ_j², and DeCov's sum is
/// Σ_{i<j} r_ij² σ_i² σ_j². Class selectivity reads the activations once more. Effective rank decomposes the
/// (live × live) C, or the (N × N) Gram X Xᵀ when N is smaller (same non-zero eigenvalues). CKA multiplies the
/// centred activations by the stored ones of the series' first and previous snapshots (one (D × D) product each).
///
/// **State.** CKA compares a snapshot with earlier ones of the same *series* (a probe point and reduction, numbered
/// by the caller): the workspace keeps the centred activations of each series' first and latest snapshot. Without
/// CKA selected nothing is kept between calls.
///
/// Results do not depend on the workspace's history other than through those references. Not thread-safe.
public final class StatisticsWorkspace {
    public let selection: StatisticSelection
    private let correlation: CorrelationWorkspace
    private let eigenvalueScratch = EigenvalueWorkspace()
    private let chosen: [Bool]
    private let wantsSpread: Bool
    private let wantsHistogram: Bool
    private let wantsSelectivity: Bool
    private let wantsEffectiveRank: Bool
    private let wantsSimilarity: Bool

    /// (N, D) centred activations X (live units; 0 elsewhere), for CKA and the N × N Gram.
    private var centered = Scratch<Double>()
    /// (D, D) cross products for CKA, and the matrix handed to LAPACK.
    private var square = Scratch<Double>()
    private var eigenvalues = Scratch<Double>()
    private var rowSquares = Scratch<Double>()
    /// (classes, D) sums of shifted activations per class, and per class the row count.
    private var classSums = Scratch<Double>()
    private var classCounts = Scratch<Int>()
    private var minimums = Scratch<Double>()
    /// Per unit 1 for live units, 0 for the others (the mask X applies to the deviations).
    private var liveMask = Scratch<Double>()
    private var liveIndices = Scratch<Int>()
    /// The pair pass's results: four sums per row, and per thread two counts, the largest |r| and a histogram.
    private var rowSums = Scratch<Double>()
    private var partCounts = Scratch<Int>()
    private var partLargest = Scratch<Double>()
    private var partBins = Scratch<UInt32>()
    private var references: [Int: SeriesReferences] = [:]
    /// The units of the last computed matrix (for ``lastUpperTriangle()``).
    private var lastUnits = 0

    /// A workspace for `selection` (the default set unless given); with `workers`, the correlation matrix of large
    /// inputs is computed on their threads (see ``CorrelationWorkspace/init(samples:units:workers:)``), and so is
    /// the pass over its pairs (a block of rows per thread, with the same results as one thread).
    public init(selection: StatisticSelection = .standard, workers: WorkerPool? = nil) {
        self.selection = selection
        correlation = CorrelationWorkspace(workers: workers)
        let flags = SnapshotStatistic.all.map { selection.statistics.contains($0) }
        chosen = flags
        func wants(_ name: String) -> Bool { flags[SnapshotStatistic.index(of: name)] }
        wantsSpread = wants("sd_r")
        wantsHistogram = wants("r_histogram")
        wantsSelectivity = wants("class_selectivity")
        wantsEffectiveRank = wants("effective_rank")
        wantsSimilarity = ["cka_previous", "cka_initial", "cka_previous_debiased", "cka_initial_debiased"].contains(where: wants)
    }

    /// The threads the correlation matrix of large inputs is computed on (nil: the calling thread). Set it to nil
    /// before handing the workspace to a thread other than the pool's caller: a pool serves one caller at a time.
    public var workers: WorkerPool? {
        get { correlation.workers }
        set { correlation.workers = newValue }
    }

    /// The strict upper triangle of R from the last ``compute(_:samples:units:labels:series:)``, row by row
    /// ((0,1), (0,2), ..., (0,D−1), (1,2), ...), as `Float`: D(D−1)/2 values, clamped to [−1, 1], NaN for a pair with
    /// a dead or non-finite unit.
    public func lastUpperTriangle() -> [Float] {
        let u = lastUnits
        let count = u * (u - 1) / 2
        guard count > 0 else { return [] }
        let gram = correlation.gram
        let classes = correlation.classes
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            for i in 0..<u {
                for j in (i + 1)..<u {
                    buffer[index] = classes[i] == .live && classes[j] == .live
                        ? Float(CorrelationWorkspace.clamped(gram[i * u + j])) : .nan
                    index += 1
                }
            }
            initialized = count
        }
    }

    /// Forgets the stored snapshots CKA compares with (a new run).
    public func forgetReferences() { references.removeAll() }

    /// The statistics of row-major (samples, units) `Float` activations.
    ///
    /// - Parameters:
    ///   - labels: the class of each row (≥ 0), for `class_selectivity`; nil leaves it undefined.
    ///   - series: which probe point (and reduction) this is, for CKA's references; any stable integer.
    /// - Precondition: `values.count == samples · units`; `labels`, when given, has `samples` elements ≥ 0.
    public func compute(_ values: UnsafeBufferPointer<Float>, samples: Int, units: Int,
                        labels: UnsafeBufferPointer<Int32>? = nil, series: Int = 0) -> SnapshotStatisticValues {
        computeGeneric(values, samples: samples, units: units, labels: labels, series: series)
    }

    /// The statistics of row-major (samples, units) `Double` activations (same contract as the `Float` version).
    public func compute(_ values: UnsafeBufferPointer<Double>, samples: Int, units: Int,
                        labels: UnsafeBufferPointer<Int32>? = nil, series: Int = 0) -> SnapshotStatisticValues {
        computeGeneric(values, samples: samples, units: units, labels: labels, series: series)
    }

    // MARK: Computation

    private func slot(_ name: String) -> Int { SnapshotStatistic.index(of: name) }

    private func computeGeneric<Value: BinaryFloatingPoint>(
        _ values: UnsafeBufferPointer<Value>, samples n: Int, units u: Int, labels: UnsafeBufferPointer<Int32>?,
        series: Int) -> SnapshotStatisticValues
    {
        precondition(labels == nil || labels!.count == n, "labels must give one class per row (\(n))")
        // With workers, every product here (the eigensolver's and CKA's too, not just the correlation's) runs on
        // single-threaded OpenBLAS: the numbers are then the same whichever thread computes them.
        if workers != nil { BLAS.beginSingleThreaded() }
        defer { if workers != nil { BLAS.endSingleThreaded() } }
        let (dead, nonFinite) = correlation.computeGram(values, samples: n, units: u)
        lastUnits = u
        let live = u - dead - nonFinite
        let pairCount = live * (live - 1) / 2
        var out = [Double?](repeating: nil, count: SnapshotStatistic.all.count)
        func set(_ name: String, _ value: Double?) {
            let index = slot(name)
            if chosen[index], let value, value.isFinite { out[index] = value }
        }
        if n >= 1 { set("noise_floor_abs_r", NoiseFloor.meanAbsR(probeSamples: n)) }
        if u > 0 { set("dead_fraction", Double(dead) / Double(u)) }

        var meanAbsR: Double?
        var meanR: Double?
        var histogram: [UInt32]?
        guard nonFinite == 0 else {
            if wantsSimilarity { recordUndefinedReference(series: series, samples: n, units: u) }
            return SnapshotStatisticValues(
                summary: CorrelationSummary(units: u, samples: n, deadUnits: dead, nonFiniteUnits: nonFinite,
                                            pairCount: pairCount, meanAbsR: nil, meanR: nil),
                values: out, histogram: nil)
        }

        let gram = correlation.gram
        let classes = correlation.classes
        let squares = correlation.sumsOfSquares  // Σ_k (x_kj − μ_j)² per unit
        // Σ over live units of ‖x_j − μ_j‖² and of its square; dead units count 0.
        var totalSquares = 0.0
        var totalSquaresSquared = 0.0
        for j in 0..<u where classes[j] == .live {
            totalSquares += squares[j]
            totalSquaresSquared += squares[j] * squares[j]
        }

        // The pass over live pairs: sums per row, then over rows in order (rounding grows with units, not units²).
        var totalAbsolute = 0.0, total = 0.0, totalSquared = 0.0, crossSum = 0.0
        if pairCount > 0 {
            let mask = liveMask.reserve(u)
            for j in 0..<u { mask[j] = classes[j] == .live ? 1 : 0 }
            let parts = workers?.threadCount ?? 1
            let pass = PairRows(gram: gram, mask: mask, squares: squares, units: u, parts: parts,
                                rowSums: rowSums.reserve(4 * u), partCounts: partCounts.reserve(2 * parts),
                                partLargest: partLargest.reserve(parts),
                                partBins: wantsHistogram ? partBins.reserve(CorrelationHistogram.binCount * parts) : nil,
                                mean: nil)
            run(pass, pairs: pairCount)
            var above05 = 0, above09 = 0
            var largest = 0.0
            for part in 0..<parts {
                above05 += pass.partCounts[2 * part]
                above09 += pass.partCounts[2 * part + 1]
                largest = max(largest, pass.partLargest[part])
            }
            for i in 0..<u where classes[i] == .live {
                let sums = pass.rowSums + 4 * i
                totalAbsolute += sums[0]
                total += sums[1]
                totalSquared += sums[2]
                crossSum += sums[3] * squares[i]
            }
            let count = Double(pairCount)
            meanAbsR = totalAbsolute / count
            meanR = total / count
            set("mean_abs_r", meanAbsR)
            set("mean_r", meanR)
            set("mean_r_squared", totalSquared / count)
            set("fraction_abs_r_above_0_5", Double(above05) / count)
            set("fraction_abs_r_above_0_9", Double(above09) / count)
            set("max_abs_r", largest)
            if let bins = pass.partBins {
                var counts = [UInt32](repeating: 0, count: CorrelationHistogram.binCount)
                for part in 0..<parts {
                    for bin in 0..<CorrelationHistogram.binCount {
                        counts[bin] += bins[part * CorrelationHistogram.binCount + bin]
                    }
                }
                // The rows of live units also counted their pairs with the other units, whose r is 0.
                var others = 0, otherPairs = 0
                for i in stride(from: u - 1, through: 0, by: -1) {
                    if classes[i] == .live { otherPairs += others } else { others += 1 }
                }
                counts[CorrelationHistogram.bin(0)] -= UInt32(otherPairs)
                histogram = counts
            }
            if wantsSpread, let mean = meanR {
                var spread = pass
                spread.mean = mean
                run(spread, pairs: pairCount)
                var deviations = 0.0
                for i in 0..<u where classes[i] == .live { deviations += pass.rowSums[4 * i] }
                set("sd_r", (deviations / count).squareRoot())
            }
        }
        let rows = Double(n)
        // ‖XᵀX‖²_F = N² tr(C²) over all units.
        let gramNormSquared = totalSquaresSquared + 2 * crossSum
        if u >= 2 && n >= 1 { set("decov_per_pair", crossSum / (rows * rows) / Double(u * (u - 1))) }
        if totalSquares > 0 { set("participation_ratio", totalSquares * totalSquares / gramNormSquared) }
        if wantsSelectivity, let labels { set("class_selectivity", selectivity(values, samples: n, units: u, labels: labels)) }
        if wantsEffectiveRank, live >= 1 { set("effective_rank", effectiveRank(samples: n, units: u, live: live)) }
        if wantsSimilarity {
            let (previous, initial) = similarity(series: series, samples: n, units: u, gramNormSquared: gramNormSquared,
                                                 squaredNorm: totalSquares)
            set("cka_previous", previous?.biased)
            set("cka_previous_debiased", previous?.debiased)
            set("cka_initial", initial?.biased)
            set("cka_initial_debiased", initial?.debiased)
        }
        return SnapshotStatisticValues(
            summary: CorrelationSummary(units: u, samples: n, deadUnits: dead, nonFiniteUnits: 0,
                                        pairCount: pairCount, meanAbsR: meanAbsR, meanR: meanR),
            values: out, histogram: histogram)
    }

    /// Runs a pass over the upper triangle on the workers when it is large enough, else on the calling thread.
    private func run(_ pass: PairRows, pairs: Int) {
        // About a dozen operations per pair; a section on the workers costs microseconds to start.
        if let workers, workers.shouldSplit(work: 128 * pairs) {
            workers.run(pass)
        } else {
            for part in 0..<pass.parts { pass.run(part: part) }
        }
    }

    /// Mean class selectivity over live units whose activations are all ≥ 0 (Morcos et al. 2018); nil without such a
    /// unit or with fewer than two classes among the rows.
    ///
    /// Class means are accumulated on values shifted by the unit's first value x₀ (exact for float32 input), so that
    /// μ_max − μ_rest = d_max − d_rest loses nothing to a large offset, and μ_max + μ_rest = 2x₀ + d_max + d_rest.
    private func selectivity<Value: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<Value>, samples n: Int,
                                                         units u: Int, labels: UnsafeBufferPointer<Int32>) -> Double? {
        guard n >= 2, u >= 1, let x = values.baseAddress else { return nil }
        var classCount = 0
        for label in labels {
            precondition(label >= 0, "class labels must be ≥ 0, got \(label)")
            classCount = max(classCount, Int(label) + 1)
        }
        let sums = classSums.reserve(classCount * u)
        let counts = classCounts.reserve(classCount)
        let minimum = minimums.reserve(u)
        sums.initialize(repeating: 0, count: classCount * u)
        counts.initialize(repeating: 0, count: classCount)
        for j in 0..<u { minimum[j] = Double(x[j]) }
        for k in 0..<n {
            let label = Int(labels[k])
            counts[label] += 1
            let row = x + k * u
            let sum = sums + label * u
            for j in 0..<u {
                let value = Double(row[j])
                sum[j] += value - Double(x[j])
                if value < minimum[j] { minimum[j] = value }
            }
        }
        var present = 0
        for c in 0..<classCount where counts[c] > 0 { present += 1 }
        guard present >= 2 else { return nil }
        let classes = correlation.classes
        var total = 0.0
        var included = 0
        for j in 0..<u where classes[j] == .live && minimum[j] >= 0 {
            var largest = -Double.infinity
            var sum = 0.0
            for c in 0..<classCount where counts[c] > 0 {
                let mean = sums[c * u + j] / Double(counts[c])
                sum += mean
                if mean > largest { largest = mean }
            }
            let rest = (sum - largest) / Double(present - 1)
            let denominator = 2 * Double(x[j]) + largest + rest
            guard denominator > 0 else { continue }
            total += (largest - rest) / denominator
            included += 1
        }
        return included > 0 ? total / Double(included) : nil
    }

    /// Fills `centered` with X, the deviations of live units (zero columns for the others), and `rowSquares` with
    /// Σ_j X_kj² per row.
    private func fillCentered(samples n: Int, units u: Int) {
        let deviations = correlation.deviations
        let classes = correlation.classes
        let keep = liveMask.reserve(u)
        for j in 0..<u { keep[j] = classes[j] == .live ? 1 : 0 }
        let x = centered.reserve(n * u)
        let rowSum = rowSquares.reserve(n)
        for k in 0..<n {
            var sum = 0.0
            for j in 0..<u {
                let value = deviations[k * u + j] * keep[j]
                x[k * u + j] = value
                sum += value * value
            }
            rowSum[k] = sum
        }
    }

    /// exp(entropy) of the normalised eigenvalues of C over the live units (see the registry entry).
    private func effectiveRank(samples n: Int, units u: Int, live: Int) -> Double? {
        if live == 1 { return 1 }
        let order: Int
        let matrix: UnsafeMutablePointer<Double>
        if n < live {
            // The (N, N) Gram X Xᵀ has the same non-zero eigenvalues as XᵀX.
            fillCentered(samples: n, units: u)
            order = n
            matrix = square.reserve(n * n)
            BLAS.rowGramUpper(c: matrix, a: centered.pointer, k: n, n: u)
        } else {
            order = live
            matrix = square.reserve(live * live)
            let indices = liveIndices.reserve(live)
            let classes = correlation.classes
            var count = 0
            for j in 0..<u where classes[j] == .live {
                indices[count] = j
                count += 1
            }
            let gram = correlation.gram
            let squares = correlation.sumsOfSquares
            for a in 0..<live {
                let i = indices[a]
                matrix[a * live + a] = squares[i]
                for b in (a + 1)..<live {
                    let j = indices[b]
                    matrix[a * live + b] = CorrelationWorkspace.clamped(gram[i * u + j])
                        * (squares[i] * squares[j]).squareRoot()
                }
            }
        }
        let lambda = eigenvalues.reserve(order)
        guard BLAS.symmetricEigenvalues(matrix: matrix, n: order, eigenvalues: lambda,
                                        workspace: eigenvalueScratch) else { return nil }
        var sum = 0.0
        for k in 0..<order { sum += max(lambda[k], 0) }
        guard sum > 0 else { return nil }
        var entropy = 0.0
        for k in 0..<order where lambda[k] > 0 {
            let p = lambda[k] / sum
            entropy -= p * Foundation.log(p)
        }
        return Foundation.exp(entropy)
    }

    // MARK: CKA

    /// The biased and debiased linear CKA of the current snapshot against its series' previous and first snapshots,
    /// then the current snapshot becomes the previous one.
    private func similarity(series: Int, samples n: Int, units u: Int, gramNormSquared: Double,
                            squaredNorm: Double) -> (previous: CKA?, initial: CKA?) {
        fillCentered(samples: n, units: u)
        let current = ReferenceView(rows: n, units: u, centered: centered.pointer, rowSquares: rowSquares.pointer,
                                    gramNormSquared: gramNormSquared, squaredNorm: squaredNorm, isValid: true)
        guard let stored = references[series] else {
            let first = SeriesReferences(initial: SnapshotReference(current), previous: SnapshotReference(current))
            references[series] = first
            return (nil, gramNormSquared > 0 ? CKA(biased: 1, debiased: n >= 4 ? 1 : nil) : nil)
        }
        let previous = compare(current, with: stored.previous)
        let initial = compare(current, with: stored.initial)
        stored.previous.store(current)
        return (previous, initial)
    }

    /// Stores an undefined snapshot (non-finite activations) as the series' previous one (and first, if it is).
    private func recordUndefinedReference(series: Int, samples n: Int, units u: Int) {
        let view = ReferenceView(rows: n, units: u, centered: nil, rowSquares: nil, gramNormSquared: 0, squaredNorm: 0,
                                 isValid: false)
        if let stored = references[series] {
            stored.previous.store(view)
        } else {
            references[series] = SeriesReferences(initial: SnapshotReference(view), previous: SnapshotReference(view))
        }
    }

    struct CKA {
        var biased: Double?
        var debiased: Double?
    }

    /// Linear CKA from ‖XᵀY‖²_F = Σ (XᵀY)², ‖XᵀX‖_F, ‖YᵀY‖_F; debiased with Kornblith et al.'s feature-space form of
    /// the unbiased HSIC estimator: h(a, b) = ⟨a, b⟩ − N/(N−2) Σ_k a_k b_k + ‖X‖²‖Y‖²/((N−1)(N−2)).
    private func compare(_ x: ReferenceView, with y: SnapshotReference) -> CKA? {
        guard y.isValid, x.isValid, y.rows == x.rows, y.units == x.units, x.gramNormSquared > 0,
              y.gramNormSquared > 0 else { return nil }
        let n = x.rows, u = x.units
        let product = square.reserve(u * u)
        BLAS.crossProduct(c: product, a: x.centered!, b: y.centered.pointer, n: u, m: u, k: n)
        var crossNormSquared = 0.0
        for i in 0..<u {
            var rowSum = 0.0
            for j in 0..<u { rowSum += product[i * u + j] * product[i * u + j] }
            crossNormSquared += rowSum
        }
        let biased = crossNormSquared / (x.gramNormSquared * y.gramNormSquared).squareRoot()
        var debiased: Double?
        if n >= 4 {
            let rows = Double(n)
            func unbiased(_ inner: Double, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ normA: Double,
                          _ normB: Double) -> Double {
                var dot = 0.0
                for k in 0..<n { dot += a[k] * b[k] }
                return inner - rows / (rows - 2) * dot + normA * normB / ((rows - 1) * (rows - 2))
            }
            let xRows = x.rowSquares!, yRows = UnsafePointer(y.rowSquares.pointer)
            let xy = unbiased(crossNormSquared, xRows, yRows, x.squaredNorm, y.squaredNorm)
            let xx = unbiased(x.gramNormSquared, xRows, xRows, x.squaredNorm, x.squaredNorm)
            let yy = unbiased(y.gramNormSquared, yRows, yRows, y.squaredNorm, y.squaredNorm)
            if xx > 0 && yy > 0 { debiased = xy / (xx * yy).squareRoot() }
        }
        return CKA(biased: biased, debiased: debiased)
    }
}

/// One pass over the upper triangle of R, row by row: for each live row i, the sums over j > i of |r|, r, r² and
/// r² σ_j² (σ_j² = Σ_k (x_kj − μ_j)²) into `rowSums[4i ..< 4i + 4]`, and per part the counts of |r| > 0.5 and > 0.9,
/// the largest |r| and the histogram of r; or, with `mean`, the sum of (r − mean)² into `rowSums[4i]`.
///
/// Rows are split into `parts` blocks of about equal pair counts. A row's sums are the same whichever part computes
/// it, and the caller adds rows in order, so nothing depends on the thread count.
///
/// The inner loops run over every j > i without a branch: R holds exactly ±0 for a pair with a unit that is not live,
/// which leaves every sum, count and maximum as it is; only the histogram counts those pairs (in the bin of 0), and
/// the caller takes them out again. The spread masks its deviations, since (0 − mean) is not 0.
private struct PairRows: ParallelWork {
    let gram: UnsafePointer<Double>
    /// 1 for a live unit, 0 for the others.
    let mask: UnsafePointer<Double>
    let squares: UnsafePointer<Double>
    let units: Int
    let parts: Int
    let rowSums: UnsafeMutablePointer<Double>
    let partCounts: UnsafeMutablePointer<Int>
    let partLargest: UnsafeMutablePointer<Double>
    let partBins: UnsafeMutablePointer<UInt32>?
    var mean: Double?

    /// The first row of `part`: rows ≥ b hold about (u − b)²/2 pairs, so b_p = u − ⌊u·√(1 − p/N)⌋.
    func boundary(_ part: Int) -> Int {
        part >= parts ? units : units - Int((Double(units) * (1 - Double(part) / Double(parts)).squareRoot()).rounded(.down))
    }

    func run(part: Int) {
        let rows = boundary(part)..<boundary(part + 1)
        if let mean {
            for i in rows where mask[i] == 1 { rowSums[4 * i] = spread(row: i, mean: mean) }
            return
        }
        var above05 = 0, above09 = 0
        var largest = 0.0
        let bins = partBins.map { $0 + part * CorrelationHistogram.binCount }
        bins?.initialize(repeating: 0, count: CorrelationHistogram.binCount)
        for i in rows where mask[i] == 1 {
            let row = gram + i * units
            var absolute = 0.0, total = 0.0, squared = 0.0, cross = 0.0
            for j in (i + 1)..<units {
                let r = CorrelationWorkspace.clamped(row[j])
                let magnitude = r.magnitude
                let square = r * r
                absolute += magnitude
                total += r
                squared += square
                cross += square * squares[j]
                above05 += magnitude > 0.5 ? 1 : 0
                above09 += magnitude > 0.9 ? 1 : 0
                largest = Swift.max(largest, magnitude)
            }
            if let bins {
                for j in (i + 1)..<units { bins[CorrelationHistogram.bin(CorrelationWorkspace.clamped(row[j]))] += 1 }
            }
            let sums = rowSums + 4 * i
            (sums[0], sums[1], sums[2], sums[3]) = (absolute, total, squared, cross)
        }
        partCounts[2 * part] = above05
        partCounts[2 * part + 1] = above09
        partLargest[part] = largest
    }

    private func spread(row i: Int, mean: Double) -> Double {
        let row = gram + i * units
        var sum = 0.0
        for j in (i + 1)..<units {
            let deviation = (CorrelationWorkspace.clamped(row[j]) - mean) * mask[j]
            sum += deviation * deviation
        }
        return sum
    }
}

/// The current snapshot's centred activations, borrowed from the workspace's buffers.
private struct ReferenceView {
    var rows: Int
    var units: Int
    var centered: UnsafePointer<Double>?
    var rowSquares: UnsafePointer<Double>?
    var gramNormSquared: Double
    var squaredNorm: Double
    var isValid: Bool

    init(rows: Int, units: Int, centered: UnsafeMutablePointer<Double>?, rowSquares: UnsafeMutablePointer<Double>?,
         gramNormSquared: Double, squaredNorm: Double, isValid: Bool) {
        self.rows = rows
        self.units = units
        self.centered = centered.map { UnsafePointer($0) }
        self.rowSquares = rowSquares.map { UnsafePointer($0) }
        self.gramNormSquared = gramNormSquared
        self.squaredNorm = squaredNorm
        self.isValid = isValid
    }
}

/// A stored snapshot of one series: its centred activations (N × D), row sums of squares, ‖XᵀX‖²_F and ‖X‖².
private final class SnapshotReference {
    var rows = 0
    var units = 0
    var centered = Scratch<Double>()
    var rowSquares = Scratch<Double>()
    var gramNormSquared = 0.0
    var squaredNorm = 0.0
    var isValid = false

    init(_ view: ReferenceView) { store(view) }

    func store(_ view: ReferenceView) {
        rows = view.rows
        units = view.units
        gramNormSquared = view.gramNormSquared
        squaredNorm = view.squaredNorm
        isValid = view.isValid
        guard view.isValid, let source = view.centered, let sourceRows = view.rowSquares else { return }
        centered.reserve(rows * units).update(from: source, count: rows * units)
        rowSquares.reserve(rows).update(from: sourceRows, count: rows)
    }
}

private final class SeriesReferences {
    let initial: SnapshotReference
    let previous: SnapshotReference

    init(initial: SnapshotReference, previous: SnapshotReference) {
        self.initial = initial
        self.previous = previous
    }
}

/// Memory that grows to the largest size asked for and is reused (contents are not kept when it grows).
struct Scratch<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private var capacity = 0
    private let owner: Owner

    /// Frees the memory with the last copy of the scratch.
    private final class Owner {
        var pointer: UnsafeMutableRawPointer?
        deinit { pointer?.deallocate() }
    }

    init() {
        owner = Owner()
        pointer = .allocate(capacity: 1)
        owner.pointer = UnsafeMutableRawPointer(pointer)
        capacity = 1
    }

    /// At least `count` elements (uninitialised for a trivial `Element`).
    @discardableResult
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            owner.pointer = UnsafeMutableRawPointer(pointer)
            capacity = count
        }
        return pointer
    }
}
