// The registry of snapshot statistics: names, selections, the histogram's layout, and the schema doc covering them.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport

@Suite struct StatisticRegistryTests {
    @Test func namesAreUniqueColumnNamesAndTheDefaultsAreCheap() {
        let names = SnapshotStatistic.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } })
        #expect(Array(names.prefix(2)) == ["mean_abs_r", "mean_r"])
        #expect(SnapshotStatistic.all.filter(\.isDefault).allSatisfy { $0.cost <= .activations },
                "the default set stays within O(D²) + O(N·D) beyond the correlation matrix")
        #expect(SnapshotStatistic.all.filter { $0.kind == .histogram }.map(\.name) == ["r_histogram"])
        #expect(StatisticSelection.standard.description == "default")
        #expect(StatisticSelection.all.description == "all")
        #expect(!StatisticSelection.standard.contains("effective_rank"))
    }

    @Test func noiseFloorsAreThoseOfIndependentGaussianUnits() throws {
        let samples = 256
        assertClose(SnapshotStatistic.named("mean_abs_r")!.noiseFloor(samples: samples)!,
                    (2 / (Double.pi * 256)).squareRoot(), absolute: 0, relative: 1e-15)
        #expect(SnapshotStatistic.named("mean_r_squared")!.noiseFloor(samples: samples) == 1.0 / 255)
        #expect(SnapshotStatistic.named("sd_r")!.noiseFloor(samples: samples) == 1 / 255.0.squareRoot())
        #expect(SnapshotStatistic.named("participation_ratio")!.noiseFloor(samples: samples) == nil)
        #expect(SnapshotStatistic.named("mean_abs_r")!.noiseFloor(samples: 1) == nil)
    }

    @Test func histogramBinsFollowNumPysEdges() {
        #expect(CorrelationHistogram.edge(0) == -1 && CorrelationHistogram.edge(40) == 1)
        #expect(CorrelationHistogram.edge(20) == 0)
        // numpy.histogram([-1, -0.95, -1e-17, 0, 0.5, 0.9999, 1], bins=40, range=(-1, 1)) puts them in bins
        // 0, 1, 19, 20, 30, 39, 39.
        var counts = [UInt32](repeating: 0, count: 40)
        for r in [-1, -0.95, -1e-17, 0, 0.5, 0.9999, 1.0] { counts[CorrelationHistogram.bin(r)] += 1 }
        #expect(counts.enumerated().filter { $0.element > 0 }.map { [$0.offset, Int($0.element)] }
                == [[0, 1], [1, 1], [19, 1], [20, 1], [30, 1], [39, 2]])
        let encoded = CorrelationHistogram.encode((0..<40).map { UInt32($0 * 1000 + 7) })
        #expect(encoded.count == 160 && Array(encoded.prefix(4)) == [7, 0, 0, 0])
        #expect(CorrelationHistogram.decode(encoded) == (0..<40).map { UInt32($0 * 1000 + 7) })
        #expect(CorrelationHistogram.decode(encoded.prefix(159)) == nil)
    }

    /// docs/schema.md documents every statistic (a new registry entry without its documentation fails here).
    @Test func theSchemaDocDefinesEveryStatistic() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/schema.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        for statistic in SnapshotStatistic.scalars where !text.contains("`\(statistic.name)`") {
            Issue.record("docs/schema.md does not document \(statistic.name)")
        }
        #expect(text.contains("snapshot_histograms") && text.contains("correlation_matrices"))
    }
}
