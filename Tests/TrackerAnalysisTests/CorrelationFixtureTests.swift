// Checks CorrelationStatistics against NumPy references written by scripts/make_correlation_fixtures.py.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport

/// One case of Fixtures/*.json (format documented in scripts/make_correlation_fixtures.py).
struct CorrelationFixture: Decodable {
    let name: String
    let description: String
    let samples: Int
    let units: Int
    let valuesBitPatternSum: UInt32
    let deadUnits: Int
    let pairCount: Int
    let meanAbsR: Double?
    let meanR: Double?
    /// Decimals that read back (via the nearest Double) as exact float32 values.
    let values: [Double]
    /// Row-major (units, units); nil where the reference is NaN (dead units).
    let expectedMatrix: [Double?]

    var floatValues: [Float] { values.map { Float($0) } }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func load(_ name: String) throws -> CorrelationFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name).json"))
        return try JSONDecoder().decode(CorrelationFixture.self, from: data)
    }
}

/// Every fixture the script writes; `fixtureDirectoryHoldsExactlyTheseCases` keeps this list honest.
let fixtureNames = [
    "independent_gaussians", "shared_latent_factor", "relu_with_dead_units", "constant_nonzero_column",
    "duplicates_and_negations", "single_sample", "single_unit", "tiny_variation", "realistic_layer",
]

/// Tolerances against NumPy float64 corrcoef of the same float32 values. Both sides compute in Double from
/// exact inputs, so they differ by rounding only (~√samples · 2⁻⁵³ ≈ 1e-15); 1e-12 absolute is generous for
/// that yet would catch any float32 arithmetic (errors ~1e-7). r is in [−1, 1], so absolute is the right
/// measure for matrix entries; the means get 1e-9 relative on top.
let matrixTolerance = 1e-12
let meanAbsoluteTolerance = 1e-12
let meanRelativeTolerance = 1e-9

@Suite("Correlation fixtures (NumPy reference)")
struct CorrelationFixtureTests {
    @Test func fixtureDirectoryHoldsExactlyTheseCases() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: CorrelationFixture.directory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(fixtureNames.map { "\($0).json" }))
    }

    @Test(arguments: fixtureNames)
    func matrixAndSummaryMatchNumPy(name: String) throws {
        let fixture = try CorrelationFixture.load(name)
        let values = fixture.floatValues
        #expect(fixture.name == name)
        #expect(values.count == fixture.samples * fixture.units)
        // The decoded Floats are bit for bit the script's float32 inputs.
        #expect(values.reduce(UInt32(0)) { $0 &+ $1.bitPattern } == fixture.valuesBitPatternSum)

        let matrix = CorrelationStatistics.correlationMatrix(values, samples: fixture.samples, units: fixture.units)
        assertClose(matrix, fixture.expectedMatrix.map { $0 ?? .nan }, absolute: matrixTolerance, relative: 0,
                    "correlation matrix of \(name)")

        let summary = CorrelationStatistics.summarize(values, samples: fixture.samples, units: fixture.units)
        #expect(summary.units == fixture.units)
        #expect(summary.samples == fixture.samples)
        #expect(summary.deadUnits == fixture.deadUnits)
        #expect(summary.nonFiniteUnits == 0)
        #expect(summary.pairCount == fixture.pairCount)
        #expect((summary.meanAbsR == nil) == (fixture.meanAbsR == nil))
        #expect((summary.meanR == nil) == (fixture.meanR == nil))
        if let actual = summary.meanAbsR, let expected = fixture.meanAbsR {
            assertClose(actual, expected, absolute: meanAbsoluteTolerance, relative: meanRelativeTolerance, "meanAbsR")
        }
        if let actual = summary.meanR, let expected = fixture.meanR {
            assertClose(actual, expected, absolute: meanAbsoluteTolerance, relative: meanRelativeTolerance, "meanR")
        }

        // The reusable workspace is the same computation.
        let workspace = CorrelationWorkspace()
        let reused = values.withUnsafeBufferPointer {
            workspace.summarize($0, samples: fixture.samples, units: fixture.units)
        }
        #expect(reused == summary)
    }

    /// Cases whose expected values follow from the construction, not only from NumPy.
    @Test func exactCasesHaveTheirKnownValues() throws {
        let duplicates = try CorrelationFixture.load("duplicates_and_negations")
        let matrix = CorrelationStatistics.correlationMatrix(
            duplicates.floatValues, samples: duplicates.samples, units: duplicates.units)
        // Units 1, 2 are +copy and −copy of unit 0; unit 4 is −unit 3. Clamping keeps |r| ≤ 1 exactly.
        for (i, j, r) in [(0, 1, 1.0), (0, 2, -1.0), (1, 2, -1.0), (3, 4, -1.0)] {
            assertClose(matrix[i * 5 + j], r, absolute: 1e-15, relative: 0, "r[\(i), \(j)]")
        }
        #expect(matrix.allSatisfy { abs($0) <= 1 })

        let relu = try CorrelationFixture.load("relu_with_dead_units")
        let reluMatrix = CorrelationStatistics.correlationMatrix(relu.floatValues, samples: relu.samples, units: relu.units)
        for unit in [2, 7] {
            #expect((0..<relu.units).allSatisfy { reluMatrix[unit * relu.units + $0].isNaN })
            #expect((0..<relu.units).allSatisfy { reluMatrix[$0 * relu.units + unit].isNaN })
        }

        let single = try CorrelationFixture.load("single_sample")
        let summary = CorrelationStatistics.summarize(single.floatValues, samples: 1, units: single.units)
        #expect(summary == CorrelationSummary(units: 5, samples: 1, deadUnits: 5, pairCount: 0, meanAbsR: nil, meanR: nil))
    }
}
