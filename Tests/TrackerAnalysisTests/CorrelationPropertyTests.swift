// Properties of CorrelationStatistics and CorrelationWorkspace that hold for any input: symmetry, invariances,
// the dead-unit and non-finite rules, edge shapes, and allocation-free reuse.
import Foundation
import Testing
import TrackerAnalysis
import TrackerNumerics
import TrackerTestSupport

/// SplitMix64 (TrackerNumerics), so every property runs on the same data every time.
typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Row-major (samples, units) activations: a shared latent factor with per-unit loadings plus noise, quantised
/// to multiples of 1/256 in about [−8, 8]. Dyadic values with few bits make float32 affine maps such as
/// 3x + 10 exact, so invariance tests compare exact transforms of the same data.
func latentFactorActivations(samples: Int, units: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let loadings = (0..<units).map { _ in generator.gaussian() }
    var values = [Float](repeating: 0, count: samples * units)
    for k in 0..<samples {
        let latent = generator.gaussian()
        for j in 0..<units {
            let raw = loadings[j] * latent + 0.7 * generator.gaussian()
            values[k * units + j] = Float((raw * 256).rounded()) / 256
        }
    }
    return values
}

/// Column j of a row-major (samples, units) matrix.
func column(_ values: [Float], _ j: Int, units: Int) -> [Float] {
    stride(from: j, to: values.count, by: units).map { values[$0] }
}

/// Replaces column j of a row-major (samples, units) matrix.
func setColumn(_ values: inout [Float], _ j: Int, units: Int, to newColumn: [Float]) {
    for (k, value) in newColumn.enumerated() { values[k * units + j] = value }
}

/// Tolerance between two Double computations of the same r that differ only in summation order (BLAS
/// blocking, column position): a few hundred ulps of 1 at most for these sizes.
let reorderTolerance = 1e-14

@Suite("Correlation properties")
struct CorrelationPropertyTests {
    static let samples = 97
    static let units = 23
    static let data = latentFactorActivations(samples: samples, units: units, seed: 7)

    @Test func matrixIsSymmetricWithUnitDiagonalAndBoundedEntries() {
        var values = Self.data
        let (n, u) = (Self.samples, Self.units)
        setColumn(&values, 4, units: u, to: [Float](repeating: 0, count: n))      // dead ReLU
        setColumn(&values, 9, units: u, to: [Float](repeating: -2.5, count: n))   // stuck unit
        let matrix = CorrelationStatistics.correlationMatrix(values, samples: n, units: u)
        #expect(matrix.count == u * u)
        for i in 0..<u {
            for j in 0..<u {
                let (a, b) = (matrix[i * u + j], matrix[j * u + i])
                #expect(a == b || (a.isNaN && b.isNaN), "r[\(i), \(j)] = \(a) but r[\(j), \(i)] = \(b)")
                let dead = i == 4 || i == 9 || j == 4 || j == 9
                #expect(a.isNaN == dead)
                if !dead { #expect(abs(a) <= 1) }
            }
            if i != 4 && i != 9 { #expect(matrix[i * u + i] == 1) }
        }
        // The latent factor makes the layer clearly correlated: not all r near zero.
        let summary = CorrelationStatistics.summarize(values, samples: n, units: u)
        #expect(summary.deadUnits == 2)
        #expect(summary.pairCount == 21 * 20 / 2)
        #expect(summary.meanAbsR! > 0.2)
    }

    @Test func summaryIsTheMeanOfTheMatrixUpperTriangle() {
        let (n, u) = (Self.samples, Self.units)
        let matrix = CorrelationStatistics.correlationMatrix(Self.data, samples: n, units: u)
        let upper = (0..<u).flatMap { i in (i + 1..<u).map { j in matrix[i * u + j] } }
        let summary = CorrelationStatistics.summarize(Self.data, samples: n, units: u)
        #expect(summary.pairCount == upper.count)
        assertClose(summary.meanAbsR!, upper.map(abs).reduce(0, +) / Double(upper.count), absolute: 0, relative: 1e-14)
        assertClose(summary.meanR!, upper.reduce(0, +) / Double(upper.count), absolute: 1e-15, relative: 1e-14)
    }

    @Test func positiveAffineMapOfAColumnLeavesTheMatrixUnchanged() {
        let (n, u) = (Self.samples, Self.units)
        var transformed = Self.data
        // 3x + 10 is exact in float32 for these dyadic values.
        setColumn(&transformed, 3, units: u, to: column(Self.data, 3, units: u).map { 3 * $0 + 10 })
        let original = CorrelationStatistics.correlationMatrix(Self.data, samples: n, units: u)
        let after = CorrelationStatistics.correlationMatrix(transformed, samples: n, units: u)
        assertClose(after, original, absolute: reorderTolerance, relative: 0)
    }

    @Test func negativeScaleOfAColumnFlipsTheSignOfItsRowAndColumn() {
        let (n, u) = (Self.samples, Self.units)
        var transformed = Self.data
        setColumn(&transformed, 3, units: u, to: column(Self.data, 3, units: u).map { -0.5 * $0 - 7 })
        let original = CorrelationStatistics.correlationMatrix(Self.data, samples: n, units: u)
        let after = CorrelationStatistics.correlationMatrix(transformed, samples: n, units: u)
        let expected = (0..<u * u).map { index -> Double in
            let (i, j) = (index / u, index % u)
            return (i == 3) != (j == 3) ? -original[index] : original[index]
        }
        assertClose(after, expected, absolute: reorderTolerance, relative: 0)
        assertClose(CorrelationStatistics.summarize(transformed, samples: n, units: u).meanAbsR!,
                    CorrelationStatistics.summarize(Self.data, samples: n, units: u).meanAbsR!,
                    absolute: reorderTolerance, relative: 0)
    }

    @Test func permutingUnitsPermutesTheMatrix() {
        let (n, u) = (Self.samples, Self.units)
        var generator = SeededGenerator(seed: 11)
        let permutation = Array(0..<u).shuffled(using: &generator)
        var permuted = Self.data
        setColumn(&permuted, 0, units: u, to: [Float](repeating: 1.5, count: n))  // a dead unit moves too
        let source = permuted
        for j in 0..<u { setColumn(&permuted, j, units: u, to: column(source, permutation[j], units: u)) }

        let original = CorrelationStatistics.correlationMatrix(source, samples: n, units: u)
        let after = CorrelationStatistics.correlationMatrix(permuted, samples: n, units: u)
        let expected = (0..<u * u).map { original[permutation[$0 / u] * u + permutation[$0 % u]] }
        assertClose(after, expected, absolute: reorderTolerance, relative: 0)

        let (a, b) = (CorrelationStatistics.summarize(source, samples: n, units: u),
                      CorrelationStatistics.summarize(permuted, samples: n, units: u))
        #expect(a.deadUnits == 1 && b.deadUnits == 1 && a.pairCount == b.pairCount)
        assertClose(b.meanAbsR!, a.meanAbsR!, absolute: reorderTolerance, relative: 0)
        assertClose(b.meanR!, a.meanR!, absolute: reorderTolerance, relative: 0)
    }

    @Test func workspaceGivesIdenticalResultsOnReuseAndAcrossSizes() {
        let large = (samples: 150, units: 40, values: latentFactorActivations(samples: 150, units: 40, seed: 1))
        let small = (samples: 9, units: 5, values: latentFactorActivations(samples: 9, units: 5, seed: 2))
        let tall = (samples: 400, units: 3, values: latentFactorActivations(samples: 400, units: 3, seed: 3))
        let workspace = CorrelationWorkspace()
        for shape in [large, small, tall, large, small, large, large] {
            let reused = shape.values.withUnsafeBufferPointer {
                (workspace.summarize($0, samples: shape.samples, units: shape.units),
                 workspace.correlationMatrix($0, samples: shape.samples, units: shape.units))
            }
            let fresh = shape.values.withUnsafeBufferPointer {
                (CorrelationWorkspace().summarize($0, samples: shape.samples, units: shape.units),
                 CorrelationWorkspace().correlationMatrix($0, samples: shape.samples, units: shape.units))
            }
            #expect(reused.0 == fresh.0)
            #expect(reused.1 == fresh.1, "matrix of (\(shape.samples), \(shape.units)) differs after reuse")
            #expect(reused.0 == CorrelationStatistics.summarize(shape.values, samples: shape.samples, units: shape.units))
        }
        // The in-place variant writes the same numbers.
        var buffer = [Double](repeating: -42, count: small.units * small.units)
        small.values.withUnsafeBufferPointer { input in
            buffer.withUnsafeMutableBufferPointer {
                workspace.correlationMatrix(input, samples: small.samples, units: small.units, into: $0)
            }
        }
        #expect(buffer == CorrelationStatistics.correlationMatrix(small.values, samples: small.samples, units: small.units))
    }
}

@Suite("Dead and non-finite units, edge shapes")
struct CorrelationEdgeCaseTests {
    /// Builds a row-major matrix from columns of equal length.
    func matrix(columns: [[Float]]) -> [Float] {
        (0..<columns[0].count).flatMap { k in columns.map { $0[k] } }
    }

    var normal: [Float] {
        var generator = SeededGenerator(seed: 5)
        return (0..<64).map { _ in Float(generator.gaussian()) }
    }

    @Test func constantColumnsAreDeadAndTinyRealVariationIsLive() {
        let n = 64
        var oneStep = [Float](repeating: 3.7, count: n)
        oneStep[17] = Float(3.7).nextUp  // one float32 step on one sample
        var generator = SeededGenerator(seed: 9)
        let tinyScale = (0..<n).map { _ in Float(generator.gaussian() * 1e-30) }
        let signedZeros = (0..<n).map { $0 % 3 == 0 ? Float(-0.0) : Float(0.0) }  // −0 == +0: no variation
        let columns: [[Float]] = [
            [Float](repeating: 0, count: n),        // 0: ReLU always 0 → dead
            [Float](repeating: 3.7, count: n),      // 1: stuck at 3.7 → dead
            [Float](repeating: -1e30, count: n),    // 2: large constant → dead
            signedZeros,                            // 3: → dead
            oneStep,                                // 4: → live
            tinyScale,                              // 5: → live (a fixed absolute threshold would kill it)
            normal,                                 // 6: → live
        ]
        let values = matrix(columns: columns)
        let summary = CorrelationStatistics.summarize(values, samples: n, units: columns.count)
        #expect(summary.deadUnits == 4)
        #expect(summary.nonFiniteUnits == 0)
        #expect(summary.liveUnits == 3)
        #expect(summary.pairCount == 3)
        let r = CorrelationStatistics.correlationMatrix(values, samples: n, units: columns.count)
        #expect((0..<4).allSatisfy { r[$0 * 7 + $0].isNaN })
        #expect((4..<7).allSatisfy { r[$0 * 7 + $0] == 1 })
        // The tiny-scale column correlates with itself scaled up exactly as the unscaled copy would.
        let rescaled = matrix(columns: [tinyScale, tinyScale.map { $0 * 0x1p100 }, normal])
        let rescaledR = CorrelationStatistics.correlationMatrix(rescaled, samples: n, units: 3)
        assertClose(rescaledR[1], 1, absolute: 1e-15, relative: 0)
        assertClose(rescaledR[2], rescaledR[5], absolute: 1e-15, relative: 0)
        #expect(CorrelationStatistics.deadUnitRelativeThreshold == 1e-12)
    }

    @Test func nonFiniteUnitsAreReportedAndMakeTheMeansUndefined() {
        var generator = SeededGenerator(seed: 21)
        let n = 32
        let finite = (0..<4).map { _ in (0..<n).map { _ in Float(generator.gaussian()) } }
        var nanFirst = finite[0]; nanFirst[0] = .nan              // NaN in the shift row
        var infLater = finite[1]; infLater[20] = .infinity
        var bothInfinities = finite[2]; bothInfinities[3] = -.infinity; bothInfinities[4] = .infinity
        let columns = [finite[0], nanFirst, finite[1], infLater, [Float](repeating: 0, count: n),
                       bothInfinities, finite[3]]
        let units = columns.count
        let values = matrix(columns: columns)

        let summary = CorrelationStatistics.summarize(values, samples: n, units: units)
        #expect(summary.nonFiniteUnits == 3)
        #expect(summary.deadUnits == 1)            // the zero column; non-finite units are not also dead
        #expect(summary.pairCount == 3)            // live units 0, 2, 6
        #expect(summary.meanAbsR == nil && summary.meanR == nil)

        // Pairs of finite units keep exactly the r they have without the non-finite units.
        let r = CorrelationStatistics.correlationMatrix(values, samples: n, units: units)
        let finiteOnly = CorrelationStatistics.correlationMatrix(
            matrix(columns: [finite[0], finite[1], finite[3]]), samples: n, units: 3)
        let live = [0, 2, 6]
        for (a, i) in live.enumerated() {
            for (b, j) in live.enumerated() {
                assertClose(r[i * units + j], finiteOnly[a * 3 + b], absolute: reorderTolerance, relative: 0)
            }
        }
        for unit in [1, 3, 5] {
            #expect((0..<units).allSatisfy { r[unit * units + $0].isNaN && r[$0 * units + unit].isNaN })
        }
        // With one sample a NaN unit is still non-finite, not dead.
        let single = CorrelationStatistics.summarize([1, .nan, 2], samples: 1, units: 3)
        #expect(single == CorrelationSummary(units: 3, samples: 1, deadUnits: 2, nonFiniteUnits: 1, pairCount: 0,
                                             meanAbsR: nil, meanR: nil))
    }

    @Test func edgeShapes() {
        #expect(CorrelationStatistics.correlationMatrix([], samples: 0, units: 0).isEmpty)
        #expect(CorrelationStatistics.summarize([], samples: 10, units: 0)
                == CorrelationSummary(units: 0, samples: 10, deadUnits: 0, pairCount: 0, meanAbsR: nil, meanR: nil))
        // No samples: no variance, every unit dead.
        #expect(CorrelationStatistics.correlationMatrix([], samples: 0, units: 3).allSatisfy { $0.isNaN })
        #expect(CorrelationStatistics.summarize([], samples: 0, units: 3).deadUnits == 3)
        // Two samples: any two live units are exactly (anti-)correlated.
        // Rows (0, 5, 1) and (−2, 1, 7): units 0 and 1 go down, unit 2 goes up.
        let r = CorrelationStatistics.correlationMatrix([0, 5, 1, -2, 1, 7], samples: 2, units: 3)
        assertClose(r, [1, 1, -1, 1, 1, -1, -1, -1, 1], absolute: 1e-15, relative: 0)
    }

    @Test func workersAgreeWithOneThreadAndRepeat() {
        // Dead, constant and non-finite columns among live ones, on 2 and 3 threads.
        var values = CorrelationPropertyTests.data
        let (n, u) = (CorrelationPropertyTests.samples, CorrelationPropertyTests.units)
        setColumn(&values, 2, units: u, to: [Float](repeating: 3, count: n))
        setColumn(&values, 9, units: u, to: (0..<n).map { $0 == 40 ? .nan : Float($0) })
        setColumn(&values, 22, units: u, to: (0..<n).map { $0 == 0 ? .infinity : 1 })
        let single = CorrelationWorkspace()
        let expected = values.withUnsafeBufferPointer { single.correlationMatrix($0, samples: n, units: u) }
        let expectedSummary = values.withUnsafeBufferPointer { single.summarize($0, samples: n, units: u) }
        for threads in [2, 3] {
            let threaded = CorrelationWorkspace(workers: WorkerPool(threadCount: threads, minimumWork: 0))
            let matrix = values.withUnsafeBufferPointer { threaded.correlationMatrix($0, samples: n, units: u) }
            let summary = values.withUnsafeBufferPointer { threaded.summarize($0, samples: n, units: u) }
            // The Gram blocks sum each entry in another kernel: a few ulps; NaN exactly where one thread has NaN.
            #expect(zip(matrix, expected).allSatisfy { $0.isNaN == $1.isNaN }, "\(threads) threads")
            assertClose(matrix.filter { !$0.isNaN }, expected.filter { !$0.isNaN }, absolute: reorderTolerance,
                        relative: 0, "\(threads) threads")
            // Non-finite units leave the means undefined.
            #expect(summary == expectedSummary && summary.deadUnits == 1 && summary.nonFiniteUnits == 2)
            let clean = CorrelationPropertyTests.data.withUnsafeBufferPointer {
                (threaded.summarize($0, samples: n, units: u), single.summarize($0, samples: n, units: u))
            }
            assertClose(clean.0.meanAbsR ?? .nan, clean.1.meanAbsR ?? 0, absolute: reorderTolerance, relative: 0)
            assertClose(clean.0.meanR ?? .nan, clean.1.meanR ?? 0, absolute: reorderTolerance, relative: 0)
            // The same thread count repeats bit for bit.
            let again = CorrelationWorkspace(workers: WorkerPool(threadCount: threads, minimumWork: 0))
            let repeated = values.withUnsafeBufferPointer { again.correlationMatrix($0, samples: n, units: u) }
            #expect(repeated.map(\.bitPattern) == matrix.map(\.bitPattern), "\(threads) threads")
        }
    }

    @Test func summaryRoundTripsThroughJSON() throws {
        let summaries = [
            CorrelationStatistics.summarize(matrix(columns: [normal, normal.map { -$0 }]), samples: 64, units: 2),
            CorrelationSummary(units: 4, samples: 1, deadUnits: 4, pairCount: 0, meanAbsR: nil, meanR: nil),
        ]
        for summary in summaries {
            let decoded = try JSONDecoder().decode(CorrelationSummary.self, from: JSONEncoder().encode(summary))
            #expect(decoded == summary)
        }
    }
}
