// What a run records with --statistics and --store-matrices, and how those settings read.
import Foundation
import Testing
import TrackerAnalysis
import TrackerStore
import TrackerTestSupport
@testable import TrackerExperiments

@Suite(.serialized) struct SnapshotStatisticsRunTests {
    func small(_ statistics: StatisticSelection, storeMatrices: Int = 0) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.architecture = "32,16:tanh"
        configuration.epochs = 1
        configuration.snapshotEvery = 20
        configuration.statistics = statistics
        configuration.storeMatrices = storeMatrices
        return configuration
    }

    @Test func allStatisticsAreRecordedWhereTheyAreDefined() throws {
        let folder = try TemporaryFolder(prefix: "tracker-statistics")
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("runs.sqlite"))
        let runner = try ExperimentRunner(small(.all, storeMatrices: 3))
        let outcome = try runner.run(in: database)
        #expect(outcome.matrixBytes.map(\.name) == ["dense1", "dense2"])
        #expect(outcome.matrixBytes.map(\.bytes) == [2 * 32 * 31, 2 * 16 * 15])
        let snapshots = runner.schedule.steps().count
        for statistic in SnapshotStatistic.scalars {
            // CKA against the previous snapshot starts at the second snapshot. dense1 is ReLU, so selectivity is
            // defined; dense2 is tanh, defined only when some unit stayed ≥ 0 on every probe sample.
            let undefined = try database.query(sql: """
                SELECT layer_name, count(*) FROM snapshot_series WHERE \(statistic.name) IS NULL GROUP BY layer_name
                """).rows
            switch statistic.name {
            case "class_selectivity":
                #expect(undefined.allSatisfy { $0[0] == .text("dense2") }, "\(undefined)")
            case "cka_previous", "cka_previous_debiased":
                #expect(undefined == [[.text("dense1"), .integer(1)], [.text("dense2"), .integer(1)]], "\(statistic.name)")
            default:
                #expect(undefined == [], "\(statistic.name)")
            }
        }
        // The histograms count every pair; the stored matrices are those of every third snapshot.
        let histograms = try database.query(sql: """
            SELECT s.pair_count, h.counts FROM snapshots s JOIN snapshot_histograms h USING (run_id, step, layer_index, reduction)
            """).rows
        #expect(histograms.count == 2 * snapshots)
        for row in histograms {
            guard case .integer(let pairs) = row[0], case .blob(let blob) = row[1],
                  let counts = CorrelationHistogram.decode(Data(blob)) else {
                Issue.record("histogram row \(row)")
                continue
            }
            #expect(counts.reduce(0) { $0 + Int64($1) } == pairs)
        }
        let steps = runner.schedule.steps()
        let kept = try database.query(sql: "SELECT DISTINCT step FROM correlation_matrices ORDER BY step").rows
        #expect(kept == stride(from: 0, to: steps.count, by: 3).map { [.integer(Int64(steps[$0]))] })
        // A stored matrix holds the snapshot's r: its mean |r| over live pairs is mean_abs_r (to float32 rounding).
        let matrix = try database.query(sql: """
            SELECT m.upper_triangle, s.mean_abs_r FROM correlation_matrices m JOIN snapshots s
            USING (run_id, step, layer_index, reduction) WHERE m.layer_index = 1 ORDER BY m.step DESC LIMIT 1
            """).rows[0]
        guard case .blob(let bytes) = matrix[0], case .real(let meanAbsR) = matrix[1] else {
            Issue.record("matrix row \(matrix)")
            return
        }
        let values = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[bytes.startIndex + offset + $1]) << (8 * $1) })
        }
        #expect(values.count == 16 * 15 / 2)
        let live = values.filter { !$0.isNaN }
        assertClose(live.reduce(0) { $0 + Double(abs($1)) } / Double(live.count), meanAbsR, absolute: 1e-7, relative: 0)
    }

    @Test func theDefaultSetLeavesTheCostlyStatisticsNull() throws {
        let folder = try TemporaryFolder(prefix: "tracker-statistics")
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("runs.sqlite"))
        _ = try ExperimentRunner(small(.standard)).run(in: database)
        let counts = try database.query(sql: """
            SELECT count(*), count(mean_r_squared), count(decov_per_pair), count(effective_rank), count(cka_initial),
                   (SELECT count(*) FROM snapshot_histograms), (SELECT count(*) FROM correlation_matrices)
            FROM snapshots
            """).rows[0]
        guard case .integer(let rows) = counts[0] else { return }
        #expect(counts == [.integer(rows), .integer(rows), .integer(rows), .integer(0), .integer(0), .integer(rows),
                           .integer(0)])
    }

    @Test func settingsReadFromFilesAndFlags() throws {
        let settings = try ConfigurationFile.settings(fromYAML: """
            statistics: [default, effective_rank]
            store-matrices: 4
            """, source: "run.yaml")
        let configuration = try ExperimentConfiguration(settings)
        #expect(configuration.statistics.contains("effective_rank"))
        #expect(configuration.statistics.contains("mean_r_squared"))
        #expect(!configuration.statistics.contains("cka_initial"))
        #expect(configuration.storeMatrices == 4)
        let written = ConfigurationFile.yaml(for: configuration)
        #expect(try ExperimentConfiguration(ConfigurationFile.settings(fromYAML: written, source: "x")) == configuration)
        #expect(ExperimentConfiguration().statistics.description == "default")
        #expect(throws: SettingError.self) {
            try ExperimentConfiguration(ConfigurationFile.settings(fromYAML: "statistics: median_r", source: "run.yaml"))
        }
        #expect(try StatisticSelection(parsing: "all") == .all)
        #expect(throws: StatisticSelectionError.unknown("median_r")) { try StatisticSelection(parsing: "sd_r,median_r") }
        #expect(throws: StatisticSelectionError.empty("sd_r,")) { try StatisticSelection(parsing: "sd_r,") }
        #expect(try StatisticSelection(parsing: "sd_r").statistics.map(\.name) == ["mean_abs_r", "mean_r", "sd_r"])
    }

    @Test func matricesAboveTheLimitAreRefused() throws {
        var configuration = small(.standard, storeMatrices: 1)
        configuration.architecture = "6000"
        #expect {
            try ExperimentRunner(configuration)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.setting == "store_matrices" && error.description.contains("6000 units")
        }
        configuration.storeMatrices = 0
        _ = try ExperimentRunner(configuration)
    }
}
