// CorrelationWorkspace: reusable Double buffers and the BLAS kernel behind every correlation statistic.
import TrackerNumerics

/// Buffers for computing correlation statistics repeatedly without allocating.
///
/// Holds the deviations of the activations from their column means (samples × units `Double`s), the Gram matrix
/// (units × units `Double`s) and a few per-unit arrays. Buffers grow to the largest shape seen and are never
/// shrunk, so after the first snapshot of the largest layer, ``summarize(_:samples:units:)`` allocates
/// nothing. Results do not depend on the workspace's history: the same input gives bit-identical output
/// whether the workspace is fresh or reused.
///
/// Definitions, unit classes (live, dead, non-finite), accuracy and edge cases are those of
/// ``CorrelationStatistics``. Not thread-safe: use one workspace per thread (it is deliberately not `Sendable`).
public final class CorrelationWorkspace {
    enum UnitClass: UInt8 { case live, dead, nonFinite }

    /// Row-major (samples, units): each column's deviations x_kj − μ_j (computed on values shifted by the column's
    /// first one); zeros for a non-finite column.
    private(set) var deviations: UnsafeMutablePointer<Double>
    private var deviationsCapacity: Int
    /// Row-major (units, units): BLAS fills the upper triangle with DᵀD, D the deviations, which is then scaled to
    /// r_ij = (DᵀD)_ij s_i s_j with the column scales s (so 0 for a pair with a unit that is not live).
    private(set) var gram: UnsafeMutablePointer<Double>
    private var gramCapacity: Int
    /// Per unit: running sum (then mean) of shifted values, sum of squared deviations, max |x|.
    private var sums: UnsafeMutablePointer<Double>
    private(set) var sumsOfSquares: UnsafeMutablePointer<Double>
    private var largestMagnitudes: UnsafeMutablePointer<Double>
    /// Per unit: the column scale 1/‖x_j − μ_j‖ of live units, 0 for the others.
    private var scales: UnsafeMutablePointer<Double>
    private(set) var classes: UnsafeMutablePointer<UnitClass>
    private var unitCapacity: Int

    /// Splits large inputs by columns over threads; nil = one thread. Change it only between computations.
    public var workers: WorkerPool?

    /// A workspace with buffers for up to `samples × units` activations (more are allocated on demand). With
    /// `workers`, large inputs are prepared a block of columns per thread (the same bits as one thread), and the
    /// Gram matrix of large inputs is computed in column blocks, one per thread (a fixed result for a given thread
    /// count, within rounding of one thread's); BLAS runs single-threaded throughout. Without, the Gram matrix is
    /// one dsyrk on OpenBLAS's threads.
    public init(samples: Int = 0, units: Int = 0, workers: WorkerPool? = nil) {
        precondition(samples >= 0 && units >= 0, "negative shape")
        self.workers = workers
        deviationsCapacity = samples * units
        gramCapacity = units * units
        unitCapacity = units
        deviations = .allocate(capacity: max(deviationsCapacity, 1))
        gram = .allocate(capacity: max(gramCapacity, 1))
        sums = .allocate(capacity: max(unitCapacity, 1))
        sumsOfSquares = .allocate(capacity: max(unitCapacity, 1))
        largestMagnitudes = .allocate(capacity: max(unitCapacity, 1))
        scales = .allocate(capacity: max(unitCapacity, 1))
        classes = .allocate(capacity: max(unitCapacity, 1))
    }

    deinit {
        deviations.deallocate()
        gram.deallocate()
        sums.deallocate()
        sumsOfSquares.deallocate()
        largestMagnitudes.deallocate()
        scales.deallocate()
        classes.deallocate()
    }

    // MARK: Public API

    /// Summary statistics of a row-major (samples, units) activation matrix; allocates nothing once the
    /// buffers are large enough. Same contract as ``CorrelationStatistics/summarize(_:samples:units:)``.
    public func summarize(_ values: UnsafeBufferPointer<Float>, samples: Int, units: Int) -> CorrelationSummary {
        let (dead, nonFinite) = computeGram(values, samples: samples, units: units)
        let live = units - dead - nonFinite
        let pairCount = live * (live - 1) / 2
        guard pairCount > 0, nonFinite == 0 else {
            return CorrelationSummary(units: units, samples: samples, deadUnits: dead, nonFiniteUnits: nonFinite,
                                      pairCount: pairCount, meanAbsR: nil, meanR: nil)
        }
        // Sum per row of the upper triangle, then over rows: rounding grows with units, not units².
        var totalAbsolute = 0.0
        var total = 0.0
        for i in 0..<units where classes[i] == .live {
            let row = gram + i * units
            var rowAbsolute = 0.0
            var rowTotal = 0.0
            for j in (i + 1)..<units where classes[j] == .live {
                let r = Self.clamped(row[j])
                rowAbsolute += r.magnitude
                rowTotal += r
            }
            totalAbsolute += rowAbsolute
            total += rowTotal
        }
        let count = Double(pairCount)
        return CorrelationSummary(units: units, samples: samples, deadUnits: dead, nonFiniteUnits: nonFinite,
                                  pairCount: pairCount, meanAbsR: totalAbsolute / count, meanR: total / count)
    }

    /// Writes the row-major (units, units) correlation matrix into `matrix` (which must hold exactly
    /// units² elements); allocates nothing once the buffers are large enough.
    /// Same contract as ``CorrelationStatistics/correlationMatrix(_:samples:units:)``.
    public func correlationMatrix(_ values: UnsafeBufferPointer<Float>, samples: Int, units: Int,
                                  into matrix: UnsafeMutableBufferPointer<Double>) {
        precondition(matrix.count == units * units, "matrix must hold units² = \(units * units) elements")
        _ = computeGram(values, samples: samples, units: units)
        guard let output = matrix.baseAddress else { return }
        for i in 0..<units {
            for j in 0..<units {
                let value: Double
                if classes[i] != .live || classes[j] != .live {
                    value = .nan
                } else if i == j {
                    value = 1
                } else {
                    value = Self.clamped(gram[min(i, j) * units + max(i, j)])
                }
                output[i * units + j] = value
            }
        }
    }

    /// The row-major (units, units) correlation matrix as a new array.
    /// Same contract as ``CorrelationStatistics/correlationMatrix(_:samples:units:)``.
    public func correlationMatrix(_ values: UnsafeBufferPointer<Float>, samples: Int, units: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: units * units) { buffer, initialized in
            correlationMatrix(values, samples: samples, units: units, into: buffer)
            initialized = units * units
        }
    }

    // MARK: Kernel

    static func clamped(_ r: Double) -> Double { min(1, max(-1, r)) }

    /// Classifies every unit and fills the upper triangle of `gram` with r_ij for live units (unclamped).
    /// Returns the dead and non-finite counts. Afterwards `deviations` holds D (each column's deviations from its
    /// mean; zeros for non-finite columns) and `sumsOfSquares` each unit's Σ_k (x_kj − μ_j)².
    ///
    /// The Gram matrix is computed from the deviations and scaled afterwards, r_ij = ((DᵀD)_ij · s_i) · s_j with
    /// s_j = 1/‖d_j‖, rather than from unit-norm columns: the same accuracy, without a third pass over the
    /// (samples, units) values.
    ///
    /// `Double` input goes through the same steps (the shift by the first value is exact when the values are within
    /// a factor 2 of it, Sterbenz); its sums could overflow only for magnitudes above about 1e150, which would
    /// classify the unit as non-finite.
    func computeGram<Value: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<Value>, samples n: Int, units u: Int)
        -> (dead: Int, nonFinite: Int)
    {
        precondition(n >= 0 && u >= 0, "negative shape (\(n), \(u))")
        precondition(n <= Int(Int32.max) && u <= Int(Int32.max), "shape (\(n), \(u)) exceeds BLAS's Int32 indices")
        let (count, overflow) = n.multipliedReportingOverflow(by: u)
        precondition(!overflow && values.count == count, "values.count \(values.count) ≠ samples \(n) × units \(u)")
        reserve(samples: n, units: u)
        guard u > 0 else { return (0, 0) }
        guard n > 0, let x = values.baseAddress else {
            for j in 0..<u { classes[j] = .dead }
            return (u, 0)
        }
        precondition(Value.self == Float.self || Value.self == Double.self, "correlations of Float or Double values")

        let preparation = ColumnPreparation(values: UnsafeRawPointer(x), isDouble: Value.self == Double.self,
                                            samples: n, units: u, deviations: deviations, sums: sums,
                                            sumsOfSquares: sumsOfSquares, largestMagnitudes: largestMagnitudes,
                                            scales: scales, classes: classes, parts: workers?.threadCount ?? 1)
        // With workers, OpenBLAS stays on one thread here too: its idle threads would spin beside the workers.
        if workers != nil { BLAS.beginSingleThreaded() }
        defer { if workers != nil { BLAS.endSingleThreaded() } }
        // Two passes over the (n, u) values, memory-bound. Weighted 64 per value, so that with the default minimum
        // work inputs from 2¹⁶ values (256 × 256, 1024 × 64) are split: tens of microseconds of passes, against a
        // few microseconds to start a section while the workers are awake.
        if let workers, workers.shouldSplit(work: 64 * n * u) {
            workers.run(preparation)
        } else {
            preparation.prepare(columns: 0..<u)
        }
        var dead = 0
        var nonFinite = 0
        for j in 0..<u {
            switch classes[j] {
            case .live: break
            case .dead: dead += 1
            case .nonFinite: nonFinite += 1
            }
        }
        guard u - dead - nonFinite > 1 else { return (dead, nonFinite) }
        // gram (upper) = Dᵀ D, with D the row-major (n, u) matrix in `deviations`, then scaled to r.
        let blocks = GramBlocks(deviations: deviations, scales: scales, gram: gram, samples: n, units: u,
                                parts: workers?.threadCount ?? 1)
        if let workers, workers.shouldSplit(work: n * u * u / 2) {
            workers.run(blocks)
        } else {
            BLAS.gramUpper(c: gram, a: deviations, n: u, k: n)
            blocks.scale(columns: 0..<u)
        }
        return (dead, nonFinite)
    }

    /// Everything before the Gram matrix, column by column: each column's statistics, class and scaled values depend
    /// on that column alone, so a block of columns can be prepared on each thread with the same results.
    ///
    /// Not generic over the value type: the workers reach a section through its protocol conformance, and a generic
    /// type's conformance runs unspecialised code (measured: the 7168 × 128 preparation took 100 ms instead of 2).
    /// The Float and Double loops are the one generic function below, specialised at its two call sites.
    private struct ColumnPreparation: ParallelWork {
        /// Float values, or Double when `isDouble`.
        let values: UnsafeRawPointer
        let isDouble: Bool
        let samples: Int
        let units: Int
        let deviations: UnsafeMutablePointer<Double>
        let sums: UnsafeMutablePointer<Double>
        let sumsOfSquares: UnsafeMutablePointer<Double>
        let largestMagnitudes: UnsafeMutablePointer<Double>
        let scales: UnsafeMutablePointer<Double>
        let classes: UnsafeMutablePointer<UnitClass>
        /// Thread count of the pool the work runs on.
        let parts: Int

        func run(part: Int) { prepare(columns: WorkerPool.partRange(part, of: units, parts: parts)) }

        func prepare(columns: Range<Int>) {
            if isDouble {
                prepare(columns: columns, values: values.assumingMemoryBound(to: Double.self))
            } else {
                prepare(columns: columns, values: values.assumingMemoryBound(to: Float.self))
            }
        }

        /// The two passes and the classification for `columns`. Each pass recomputes the shifted value
        /// Double(x) − Double(x₀) (and the deviation from it) from the input rather than storing it: the same Double
        /// values as storing them, with less memory traffic, since only the second pass writes the (samples, units)
        /// Double matrix. The loops read the buffers through this value's constants (through the
        /// workspace's properties, every store could change the stored pointers as far as the compiler knows, so it
        /// would reload them and not vectorise), and are branch-free over j: each column is its own lane, rows are
        /// summed in order, exactly as a scalar loop would.
        @inline(__always)
        private func prepare<Value: BinaryFloatingPoint>(columns: Range<Int>, values: UnsafePointer<Value>) {
            let (n, u) = (samples, units)
            let (start, width) = (columns.lowerBound, columns.count)
            if width == 0 { return }
            let (sums, sumsOfSquares, largestMagnitudes, scales, classes) =
                (sums + start, sumsOfSquares + start, largestMagnitudes + start, scales + start, classes + start)
            let first = values + start
            // Pass 1: sums of the values shifted by the column's first one (a constant column becomes exactly 0),
            // and the largest magnitude. Finite Float values cannot overflow these Double sums (|x| < 3.5e38), so a
            // non-finite sum means the column holds a NaN or an infinity (whose largest magnitude is then moot).
            for j in 0..<width {
                sums[j] = 0
                sumsOfSquares[j] = 0
                largestMagnitudes[j] = 0
            }
            for k in 0..<n {
                let row = values + k * u + start
                for j in 0..<width {
                    let value = Double(row[j])
                    sums[j] += value - Double(first[j])
                    largestMagnitudes[j] = Swift.max(largestMagnitudes[j], value.magnitude)
                }
            }
            // Pass 2: sums becomes the mean of the shifted values; the deviations from it are written out (the matrix
            // D the Gram matrix is computed from) and their squares summed.
            let sampleCount = Double(n)
            for j in 0..<width { sums[j] /= sampleCount }
            for k in 0..<n {
                let row = values + k * u + start
                let out = deviations + k * u + start
                for j in 0..<width {
                    let deviation = (Double(row[j]) - Double(first[j])) - sums[j]
                    out[j] = deviation
                    sumsOfSquares[j] += deviation * deviation
                }
            }
            // Classify, with the column scale 1/‖c_j‖ (0 for units that take no part in pairs).
            var anyNonFinite = false
            for j in 0..<width {
                if !sums[j].isFinite || !sumsOfSquares[j].isFinite {
                    classes[j] = .nonFinite
                    scales[j] = 0
                    anyNonFinite = true
                } else if n < 2 || (sumsOfSquares[j] / sampleCount).squareRoot()
                            <= CorrelationStatistics.deadUnitRelativeThreshold * largestMagnitudes[j] {
                    classes[j] = .dead
                    scales[j] = 0
                } else {
                    classes[j] = .live
                    scales[j] = 1 / sumsOfSquares[j].squareRoot()
                }
            }
            // No NaN or infinity reaches BLAS: a non-finite column becomes zeros (rare, so a pass of its own). Dead
            // columns keep their (finite) deviations: they enter only their own entries of the Gram matrix.
            guard anyNonFinite else { return }
            for k in 0..<n {
                let out = deviations + k * u + start
                for j in 0..<width where classes[j] == .nonFinite { out[j] = 0 }
            }
        }
    }

    /// The upper triangle of the Gram matrix DᵀD in column blocks, one per thread: block p (columns b_p ..< b_{p+1},
    /// b_p = ⌊u·√(p/N)⌋ so that every block has about the same number of entries) is the product of columns
    /// 0 ..< b_p with it (a dgemm) and its own diagonal block (a dsyrk), then scaled to r. Each entry is one dot
    /// product of two columns of D, summed by the kernel that computes its block, so the result is fixed for a
    /// given thread count.
    private struct GramBlocks: ParallelWork {
        let deviations: UnsafePointer<Double>
        let scales: UnsafePointer<Double>
        let gram: UnsafeMutablePointer<Double>
        let samples: Int
        let units: Int
        let parts: Int

        func boundary(_ part: Int) -> Int {
            part >= parts ? units : Int((Double(units) * (Double(part) / Double(parts)).squareRoot()).rounded(.down))
        }

        func run(part: Int) {
            let (start, end) = (boundary(part), boundary(part + 1))
            if end <= start { return }
            BLAS.crossProduct(c: gram + start, a: deviations, b: deviations + start, n: start, m: end - start,
                              k: samples, lda: units, ldb: units, ldc: units)
            BLAS.gramUpper(c: gram + start * units + start, a: deviations + start, n: end - start, k: samples,
                           lda: units, ldc: units)
            scale(columns: start..<end)
        }

        /// r_ij = ((DᵀD)_ij · s_i) · s_j for the entries i < j of `columns` (j); 0 where a unit is not live (s = 0).
        func scale(columns: Range<Int>) {
            for i in 0..<columns.upperBound {
                let row = gram + i * units
                let rowScale = scales[i]
                for j in Swift.max(i + 1, columns.lowerBound)..<columns.upperBound {
                    row[j] = row[j] * rowScale * scales[j]
                }
            }
        }
    }

    /// Grows the buffers to hold a (samples, units) input; never shrinks them.
    private func reserve(samples: Int, units: Int) {
        if samples * units > deviationsCapacity {
            deviations.deallocate()
            deviationsCapacity = samples * units
            deviations = .allocate(capacity: deviationsCapacity)
        }
        if units * units > gramCapacity {
            gram.deallocate()
            gramCapacity = units * units
            gram = .allocate(capacity: gramCapacity)
        }
        if units > unitCapacity {
            sums.deallocate()
            sumsOfSquares.deallocate()
            largestMagnitudes.deallocate()
            scales.deallocate()
            classes.deallocate()
            unitCapacity = units
            sums = .allocate(capacity: units)
            sumsOfSquares = .allocate(capacity: units)
            largestMagnitudes = .allocate(capacity: units)
            scales = .allocate(capacity: units)
            classes = .allocate(capacity: units)
        }
    }
}
