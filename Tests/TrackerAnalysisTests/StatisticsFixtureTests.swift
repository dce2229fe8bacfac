// Checks every registered statistic against NumPy/SciPy references written by scripts/make_statistics_fixtures.py.
import Foundation
import Testing
import TrackerAnalysis
import TrackerNumerics
import TrackerTestSupport

/// One series of Fixtures/statistics/*.json (format documented in scripts/make_statistics_fixtures.py).
struct StatisticsFixture: Decodable {
    struct Snapshot: Decodable {
        let values: String
        let deadUnits: Int
        let nonFiniteUnits: Int
        let pairCount: Int
        let histogram: [UInt32]?
        let statistics: [String: Double?]
    }

    let name: String
    let description: String
    let dtype: String
    let samples: Int
    let units: Int
    let labels: [Int32]?
    let snapshots: [Snapshot]

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        .appendingPathComponent("statistics")

    static func load(_ name: String) throws -> StatisticsFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name).json"))
        return try JSONDecoder().decode(StatisticsFixture.self, from: data)
    }

    /// The little-endian bytes of a snapshot as `Element`s.
    static func decode<Element>(_ base64: String, as _: Element.Type) -> [Element] {
        let data = Data(base64Encoded: base64)!
        return data.withUnsafeBytes { raw in
            (0..<(data.count / MemoryLayout<Element>.size)).map {
                raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Element>.size, as: Element.self)
            }
        }
    }
}

/// Every fixture the script writes; `directoryHoldsExactlyTheseCases` keeps the list honest.
let statisticsFixtureNames = [
    "relu_layer", "drifting_series", "small_n_series", "constant_unit", "all_dead", "fewer_samples_than_units",
    "one_unit", "two_identical_units", "large_offset_float32", "large_offset_float64", "non_finite",
    "diverging_series", "signed_activations", "float64_gaussians",
]

/// The issue's tolerance: 1e-6 relative, with 1e-12 absolute for values that are exactly 0.
let statisticRelativeTolerance = 1e-6
let statisticAbsoluteTolerance = 1e-12

@Suite("Snapshot statistics (NumPy/SciPy reference)")
struct StatisticsFixtureTests {
    @Test func directoryHoldsExactlyTheseCases() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: StatisticsFixture.directory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(statisticsFixtureNames.map { "\($0).json" }))
    }

    @Test(arguments: statisticsFixtureNames)
    func everyStatisticMatchesTheReference(name: String) throws {
        let fixture = try StatisticsFixture.load(name)
        let workspace = StatisticsWorkspace(selection: .all)
        for (index, snapshot) in fixture.snapshots.enumerated() {
            let context = "\(name) snapshot \(index)"
            let computed: SnapshotStatisticValues
            let labels = fixture.labels
            func run<Element>(_ values: [Element], _ body: (UnsafeBufferPointer<Element>, UnsafeBufferPointer<Int32>?)
                                -> SnapshotStatisticValues) -> SnapshotStatisticValues {
                values.withUnsafeBufferPointer { buffer in
                    if let labels { return labels.withUnsafeBufferPointer { body(buffer, $0) } }
                    return body(buffer, nil)
                }
            }
            if fixture.dtype == "float32" {
                let values = StatisticsFixture.decode(snapshot.values, as: Float.self)
                #expect(values.count == fixture.samples * fixture.units)
                computed = run(values) {
                    workspace.compute($0, samples: fixture.samples, units: fixture.units, labels: $1, series: 0)
                }
            } else {
                let values = StatisticsFixture.decode(snapshot.values, as: Double.self)
                #expect(values.count == fixture.samples * fixture.units)
                computed = run(values) {
                    workspace.compute($0, samples: fixture.samples, units: fixture.units, labels: $1, series: 0)
                }
            }
            #expect(computed.summary.deadUnits == snapshot.deadUnits, "\(context)")
            #expect(computed.summary.nonFiniteUnits == snapshot.nonFiniteUnits, "\(context)")
            #expect(computed.summary.pairCount == snapshot.pairCount, "\(context)")
            #expect(computed.histogram == snapshot.histogram, "\(context): histogram")
            #expect(Set(snapshot.statistics.keys) == Set(SnapshotStatistic.scalars.map(\.name)),
                    "\(context): the fixture covers every scalar statistic of the registry")
            for statistic in SnapshotStatistic.scalars {
                let expected = snapshot.statistics[statistic.name] ?? nil
                let actual = computed[statistic]
                #expect((actual == nil) == (expected == nil),
                        "\(context): \(statistic.name) is \(actual.map { "\($0)" } ?? "nil"), expected \(expected.map { "\($0)" } ?? "nil")")
                if let actual, let expected {
                    assertClose(actual, expected, absolute: statisticAbsoluteTolerance,
                                relative: statisticRelativeTolerance, "\(context): \(statistic.name)")
                }
            }
            // The summary's means are the registry's first two statistics.
            #expect(computed.summary.meanAbsR == computed["mean_abs_r"])
            #expect(computed.summary.meanR == computed["mean_r"])
        }
    }

    /// Histogram counts add up to the pairs, and equal units give r = 1 in the closed last bin.
    @Test func histogramCountsEveryPairOnce() throws {
        let fixture = try StatisticsFixture.load("two_identical_units")
        let values = StatisticsFixture.decode(fixture.snapshots[0].values, as: Float.self)
        let computed = values.withUnsafeBufferPointer {
            StatisticsWorkspace().compute($0, samples: fixture.samples, units: fixture.units)
        }
        var expected = [UInt32](repeating: 0, count: 40)
        expected[39] = 1
        #expect(computed.histogram == expected)
        let relu = try StatisticsFixture.load("relu_layer")
        let reluValues = StatisticsFixture.decode(relu.snapshots[0].values, as: Float.self)
        let reluStatistics = reluValues.withUnsafeBufferPointer {
            StatisticsWorkspace().compute($0, samples: relu.samples, units: relu.units)
        }
        #expect(reluStatistics.histogram.map { $0.reduce(0) { $0 + Int($1) } } == reluStatistics.summary.pairCount)
    }

    /// The pass over pairs, split over 2 or 3 threads, gives the bits of one thread: a (64, 300) ReLU layer with dead
    /// units, where the pool splits the pair pass (128 × 36,315 live pairs ≥ 2²²) but not the Gram matrix
    /// (64 · 300²/2 < 2²²), so every pair's r is the same and only the pass is divided.
    @Test func thePairPassGivesTheSameBitsOnAnyThreadCount() {
        let (n, u) = (64, 300)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        let shared = (0..<n).map { _ in uniform() - 0.5 }
        var values = [Float](repeating: 0, count: n * u)
        for k in 0..<n {
            for j in 0..<u {
                // Units 0, 10, 20, ... never fire (30 dead units: 270 live ones).
                values[k * u + j] = j % 10 == 0 ? 0 : max(0, shared[k] * Float(j % 7 - 3) + uniform() - 0.5)
            }
        }
        let single = values.withUnsafeBufferPointer {
            StatisticsWorkspace(selection: .standard).compute($0, samples: n, units: u)
        }
        #expect(single.summary.deadUnits == 30 && single.summary.pairCount == 36_315)
        for threads in [2, 3] {
            let pool = WorkerPool(threadCount: threads)
            let split = values.withUnsafeBufferPointer {
                StatisticsWorkspace(selection: .standard, workers: pool).compute($0, samples: n, units: u)
            }
            #expect(pool.sectionCount == 2, "only the pair pass and sd_r's second pass run on the workers")
            #expect(split.histogram == single.histogram, "\(threads) threads")
            for statistic in SnapshotStatistic.scalars {
                #expect(split[statistic]?.bitPattern == single[statistic]?.bitPattern,
                        "\(threads) threads: \(statistic.name)")
            }
        }
    }
}
