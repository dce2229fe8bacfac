// CorrelationWorkspace: reusable Double buffers and the BLAS kernel behind every correlation statistic.
import TrackerNumerics

/// Buffers for computing correlation statistics repeatedly without allocating.
///
/// Holds the centred, unit-norm copy of the activations (samples × units `Double`s), the Gram matrix
/// (units × units `Double`s) and a few per-unit arrays. Buffers grow to the largest shape seen and are never
/// shrunk, so after the first snapshot of the largest layer, ``summarize(_:samples:units:)`` allocates
/// nothing. Results do not depend on the workspace's history: the same input gives bit-identical output
/// whether the workspace is fresh or reused.
///
/// Definitions, unit classes (live, dead, non-finite), accuracy and edge cases are those of
/// ``CorrelationStatistics``. Not thread-safe: use one workspace per thread (it is deliberately not `Sendable`).
public final class CorrelationWorkspace {
    enum UnitClass: UInt8 { case live, dead, nonFinite }

    /// Row-major (samples, units): shifted, then centred, then scaled to unit column norm.
    private(set) var normalized: UnsafeMutablePointer<Double>
    private var normalizedCapacity: Int
    /// Row-major (units, units); dsyrk fills the upper triangle with ZᵀZ.
    private(set) var gram: UnsafeMutablePointer<Double>
    private var gramCapacity: Int
    /// Per unit: running sum (then mean) of shifted values, sum of squared deviations, max |x|.
    private var sums: UnsafeMutablePointer<Double>
    private(set) var sumsOfSquares: UnsafeMutablePointer<Double>
    private var largestMagnitudes: UnsafeMutablePointer<Double>
    private(set) var classes: UnsafeMutablePointer<UnitClass>
    private var unitCapacity: Int

    /// A workspace with buffers for up to `samples × units` activations (more are allocated on demand).
    public init(samples: Int = 0, units: Int = 0) {
        precondition(samples >= 0 && units >= 0, "negative shape")
        normalizedCapacity = samples * units
        gramCapacity = units * units
        unitCapacity = units
        normalized = .allocate(capacity: max(normalizedCapacity, 1))
        gram = .allocate(capacity: max(gramCapacity, 1))
        sums = .allocate(capacity: max(unitCapacity, 1))
        sumsOfSquares = .allocate(capacity: max(unitCapacity, 1))
        largestMagnitudes = .allocate(capacity: max(unitCapacity, 1))
        classes = .allocate(capacity: max(unitCapacity, 1))
    }

    deinit {
        normalized.deallocate()
        gram.deallocate()
        sums.deallocate()
        sumsOfSquares.deallocate()
        largestMagnitudes.deallocate()
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
    /// Returns the dead and non-finite counts. Afterwards `normalized` holds Z (live columns centred and scaled to
    /// unit norm, other columns 0) and `sumsOfSquares` each unit's Σ_k (x_kj − μ_j)².
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

        // The passes read the buffers through locals: through `self`, every store into `normalized` could change
        // the stored pointers as far as the compiler knows, so it reloads them and does not vectorise the loops.
        // The loops below are branch-free over j (each column its own lane, rows in order), so they vectorise and
        // sum in exactly the order of a scalar loop.
        let (normalized, sums, sumsOfSquares, largestMagnitudes, classes) =
            (self.normalized, self.sums, self.sumsOfSquares, self.largestMagnitudes, self.classes)

        // Pass 1: shift each column by its first value (a constant column becomes exactly 0), accumulate sums
        // and the largest magnitude. Finite Float values cannot overflow these Double sums (|x| < 3.5e38), so a
        // non-finite sum means the column holds a NaN or an infinity (whose largest magnitude is then irrelevant).
        for j in 0..<u {
            sums[j] = 0
            sumsOfSquares[j] = 0
            largestMagnitudes[j] = 0
        }
        for k in 0..<n {
            let row = x + k * u
            let out = normalized + k * u
            for j in 0..<u {
                let value = Double(row[j])
                let shifted = value - Double(x[j])
                out[j] = shifted
                sums[j] += shifted
                largestMagnitudes[j] = Swift.max(largestMagnitudes[j], value.magnitude)
            }
        }
        // Pass 2: centre (sums becomes the mean of the shifted values) and accumulate squared deviations.
        let sampleCount = Double(n)
        for j in 0..<u { sums[j] /= sampleCount }
        for k in 0..<n {
            let out = normalized + k * u
            for j in 0..<u {
                let deviation = out[j] - sums[j]
                out[j] = deviation
                sumsOfSquares[j] += deviation * deviation
            }
        }
        // Classify; reuse `sums` for the column scale 1/‖c_j‖ (0 for units that take no part in pairs).
        var dead = 0
        var nonFinite = 0
        var live = 0
        for j in 0..<u {
            if !sums[j].isFinite || !sumsOfSquares[j].isFinite {
                classes[j] = .nonFinite
                nonFinite += 1
                sums[j] = 0
            } else if n < 2 || (sumsOfSquares[j] / sampleCount).squareRoot()
                        <= CorrelationStatistics.deadUnitRelativeThreshold * largestMagnitudes[j] {
                classes[j] = .dead
                dead += 1
                sums[j] = 0
            } else {
                classes[j] = .live
                live += 1
                sums[j] = 1 / sumsOfSquares[j].squareRoot()
            }
        }
        guard live > 1 else { return (dead, nonFinite) }
        // Pass 3: scale live columns to unit norm; zero the others (removes NaN/inf before BLAS).
        for k in 0..<n {
            let out = normalized + k * u
            for j in 0..<u { out[j] = classes[j] == .live ? out[j] * sums[j] : 0 }
        }
        // gram (upper) = Zᵀ Z, with Z the row-major (n, u) matrix in `normalized`.
        BLAS.gramUpper(c: gram, a: normalized, n: u, k: n)
        return (dead, nonFinite)
    }

    /// Grows the buffers to hold a (samples, units) input; never shrinks them.
    private func reserve(samples: Int, units: Int) {
        if samples * units > normalizedCapacity {
            normalized.deallocate()
            normalizedCapacity = samples * units
            normalized = .allocate(capacity: normalizedCapacity)
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
            classes.deallocate()
            unitCapacity = units
            sums = .allocate(capacity: units)
            sumsOfSquares = .allocate(capacity: units)
            largestMagnitudes = .allocate(capacity: units)
            classes = .allocate(capacity: units)
        }
    }
}
