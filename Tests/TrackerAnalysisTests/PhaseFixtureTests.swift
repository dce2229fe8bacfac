// Checks the phase detector's building blocks against SciPy references written by scripts/make_phase_fixtures.py.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport

/// One file of Fixtures/phases/ (format documented in scripts/make_phase_fixtures.py).
struct PhaseFixtureFile<Case: Decodable>: Decodable {
    let description: String
    let cases: [Case]

    static func load(_ name: String) throws -> [Case] {
        let url = CorrelationFixture.directory.appendingPathComponent("phases/\(name).json")
        return try JSONDecoder().decode(PhaseFixtureFile.self, from: Data(contentsOf: url)).cases
    }
}

struct SavitzkyGolayCoefficientCase: Decodable {
    let name: String
    let window: Int
    let order: Int
    let position: Int
    let coefficients: [Double]
}

struct SavitzkyGolayFilterCase: Decodable {
    let name: String
    let window: Int
    let order: Int
    let values: [Double]
    let smoothed: [Double]
}

struct ProminenceCase: Decodable {
    let name: String
    let values: [Double]
    let peaks: [Int]
    let prominences: [Double]
}

struct LogGridSmoothingCase: Decodable {
    let name: String
    let steps: [Int]
    let values: [Double]
    let window: Int
    let smoothed: [Double]
    let sigma: Double
    let peaks: [Int]
    let prominences: [Double]
}

/// Both sides solve the same small least-squares problems in Double (SciPy by SVD, Swift by normal equations on
/// centred, scaled positions); they differ by rounding, ~1e-16 per weight. 1e-12 absolute would still catch a
/// wrong weight, position or edge rule, all of which move results by ≥ 1e-3.
let savitzkyGolayTolerance = 1e-12

@Suite("Phase building blocks (SciPy reference)")
struct PhaseFixtureTests {
    @Test func fixtureFolderHoldsExactlyTheseFiles() throws {
        let folder = CorrelationFixture.directory.appendingPathComponent("phases")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == ["savgol_coefficients.json", "savgol_filter.json", "prominences.json",
                               "log_grid_smoothing.json"])
    }

    @Test func savitzkyGolayCoefficientsMatchSciPy() throws {
        let cases = try PhaseFixtureFile<SavitzkyGolayCoefficientCase>.load("savgol_coefficients")
        #expect(cases.count >= 20)
        for fixture in cases {
            let weights = SavitzkyGolay.coefficients(window: fixture.window, order: fixture.order,
                                                     position: fixture.position)
            assertClose(weights, fixture.coefficients, absolute: savitzkyGolayTolerance, relative: 0, fixture.name)
            assertClose(weights.reduce(0, +), 1, absolute: 1e-12, relative: 0, "weights of \(fixture.name) sum to 1")
        }
    }

    /// Hand-derived: order 2, window 5, centre: (−3, 12, 17, 12, −3) / 35 (Savitzky & Golay 1964, table I).
    @Test func savitzkyGolayFiveQuadraticIsTheClassicTable() {
        assertClose(SavitzkyGolay.coefficients(window: 5, order: 2), [-3, 12, 17, 12, -3].map { $0 / 35.0 },
                    absolute: 1e-15, relative: 0)
        // Order 0 is the moving average, at any position.
        assertClose(SavitzkyGolay.coefficients(window: 4, order: 0, position: 3), [0.25, 0.25, 0.25, 0.25],
                    absolute: 1e-15, relative: 0)
    }

    @Test func savitzkyGolayFilterMatchesSciPy() throws {
        let cases = try PhaseFixtureFile<SavitzkyGolayFilterCase>.load("savgol_filter")
        #expect(cases.count == 6)
        for fixture in cases {
            let smoothed = SavitzkyGolay.filter(fixture.values, window: fixture.window, order: fixture.order)
            let scale = fixture.values.map(abs).max()!
            assertClose(smoothed, fixture.smoothed, absolute: savitzkyGolayTolerance * max(scale, 1), relative: 0,
                        fixture.name)
        }
    }

    @Test func localMaximaAndProminencesMatchSciPyExactly() throws {
        let cases = try PhaseFixtureFile<ProminenceCase>.load("prominences")
        #expect(cases.count == 15)
        for fixture in cases {
            let peaks = PeakProminence.localMaxima(fixture.values)
            #expect(peaks == fixture.peaks, "\(fixture.name)")
            #expect(PeakProminence.prominences(fixture.values, peaks: fixture.peaks) == fixture.prominences,
                    "\(fixture.name)")
        }
    }

    /// The detector's smoothing on the real snapshot grid, irregular steps, the 8-point minimum and a long run,
    /// against numpy.interp + scipy savgol_filter; then σ̂, peaks and prominences of that smoothed series.
    @Test func logGridSmoothingMatchesNumPyAndSciPy() throws {
        let cases = try PhaseFixtureFile<LogGridSmoothingCase>.load("log_grid_smoothing")
        #expect(cases.count == 4)
        for fixture in cases {
            let window = PhaseDetector.windowLength(pointCount: fixture.steps.count, parameters: .init())
            #expect(window == fixture.window, "\(fixture.name)")
            let positions = fixture.steps.map { log1p(Double($0)) }
            let smoothed = PhaseDetector.smoothOnUniformGrid(positions: positions, values: fixture.values,
                                                             window: window)
            assertClose(smoothed, fixture.smoothed, absolute: savitzkyGolayTolerance, relative: 0, fixture.name)
            let sigma = RobustStatistics.robustSigma(zip(fixture.values, smoothed).map { $0 - $1 })!
            assertClose(sigma, fixture.sigma, absolute: savitzkyGolayTolerance, relative: 0, "σ̂ of \(fixture.name)")
            let peaks = PeakProminence.localMaxima(smoothed)
            #expect(peaks == fixture.peaks, "\(fixture.name)")
            assertClose(PeakProminence.prominences(smoothed, peaks: peaks), fixture.prominences,
                        absolute: savitzkyGolayTolerance, relative: 0, "prominences of \(fixture.name)")

            // The detector sees the same series: its σ̂ is the reference's.
            let result = PhaseDetector.detect(steps: fixture.steps, values: fixture.values)
            assertClose(result.noiseSigma ?? .nan, fixture.sigma, absolute: savitzkyGolayTolerance, relative: 0,
                        "detector σ̂ of \(fixture.name)")
        }
    }
}
