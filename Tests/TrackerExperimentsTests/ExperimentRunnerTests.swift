// One experiment end to end into a temporary database: what it stores, determinism, and the default's accuracy.
import Foundation
import Testing
import TrackerStore
import TrackerTestSupport
@testable import TrackerExperiments

@Suite(.serialized) struct ExperimentRunnerTests {
    func temporaryDatabase() throws -> (TrackerDatabase, TemporaryFolder) {
        let folder = try TemporaryFolder(prefix: "tracker-experiments")
        return (try TrackerDatabase.open(path: folder.path("runs.sqlite")), folder)
    }

    func small(seed: UInt64 = 1) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.architecture = "32,16:tanh"
        configuration.epochs = 2
        configuration.snapshotEvery = 20
        configuration.seed = seed
        return configuration
    }

    @Test func aRunStoresEverythingItMeasured() throws {
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        let runner = try ExperimentRunner(small())
        var progressCalls = 0
        let outcome = try runner.run(in: database, progress: { _ in progressCalls += 1 })
        #expect(outcome.status == .finished)
        #expect(outcome.steps == runner.schedule.totalSteps)
        #expect(progressCalls >= 1)
        let expectedSteps = runner.schedule.steps()
        let stored = try database.query(sql: "SELECT DISTINCT step FROM snapshots ORDER BY step")
        #expect(stored.rows.map { $0[0] } == expectedSteps.map { .integer(Int64($0)) })
        let perLayer = try database.query(sql: """
            SELECT layer_name, count(*) AS n, min(probe_samples) AS probe, max(probe_samples) AS probe_max
            FROM snapshot_series GROUP BY layer_index ORDER BY layer_index
            """)
        #expect(perLayer.rows == [
            [.text("dense1"), .integer(Int64(expectedSteps.count)), .integer(256), .integer(256)],
            [.text("dense2"), .integer(Int64(expectedSteps.count)), .integer(256), .integer(256)],
        ])
        let metrics = try database.query(sql: "SELECT count(*), min(step), max(step) FROM step_metrics")
        #expect(metrics.rows == [[.integer(Int64(outcome.steps)), .integer(1), .integer(Int64(outcome.steps))]])
        let evaluations = try database.query(sql: "SELECT step, split FROM evaluations ORDER BY step, split")
        let epochEnd = Int64(runner.schedule.totalSteps / 2)
        #expect(evaluations.rows == [[.integer(0), .text("test")], [.integer(epochEnd), .text("test")],
                                     [.integer(Int64(outcome.steps)), .text("test")],
                                     [.integer(Int64(outcome.steps)), .text("train")]])
        let run = try database.query(sql: """
            SELECT status, train_samples, test_samples, probe_samples, total_steps, json_extract(snapshot_schedule, '$.every')
            FROM runs
            """)
        #expect(run.rows == [[.text("finished"), .integer(1437), .integer(360), .integer(256),
                              .integer(Int64(outcome.steps)), .integer(20)]])
        let hyperparameters = try database.query(sql: "SELECT key, value FROM hyperparameters WHERE key IN "
                                                 + "('learning_rate', 'batch_size', 'activation') ORDER BY key")
        #expect(hyperparameters.rows == [[.text("activation"), .text("mixed")], [.text("batch_size"), .integer(32)],
                                         [.text("learning_rate"), .real(0.05)]])
        let layers = try database.query(sql: "SELECT name, units, activation, is_hidden FROM layers ORDER BY layer_index")
        #expect(layers.rows == [[.text("dense1"), .integer(32), .text("relu"), .integer(1)],
                                [.text("dense2"), .integer(16), .text("tanh"), .integer(1)],
                                [.text("output"), .integer(10), .null, .integer(0)]])
        // Statistics are in range and consistent.
        let bad = try database.query(sql: """
            SELECT count(*) FROM snapshots WHERE mean_abs_r < 0 OR mean_abs_r > 1 OR abs(mean_r) > mean_abs_r + 1e-12
                OR dead_units + non_finite_units > units
                OR pair_count != (units - dead_units - non_finite_units) * (units - dead_units - non_finite_units - 1) / 2
            """)
        #expect(bad.rows == [[.integer(0)]])
    }

    @Test func sameSeedSameNumbersDifferentSeedDifferentNumbers() throws {
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        let first = try ExperimentRunner(small(seed: 5)).run(in: database)
        let second = try ExperimentRunner(small(seed: 5)).run(in: database)
        let third = try ExperimentRunner(small(seed: 6)).run(in: database)
        func numbers(_ runID: Int64) throws -> ResultTable {
            try database.query(sql: """
                SELECT 'm', step, train_loss, train_accuracy, NULL FROM step_metrics WHERE run_id = :run
                UNION ALL SELECT 's', step, mean_abs_r, mean_r, dead_units FROM snapshots WHERE run_id = :run
                UNION ALL SELECT 'e', step, loss, accuracy, split FROM evaluations WHERE run_id = :run
                ORDER BY 1, 2, 5
                """, arguments: ["run": .integer(runID)])
        }
        let a = try numbers(first.runID)
        #expect(a.rows.count > 100)
        #expect(try numbers(second.runID) == a)
        #expect(try numbers(third.runID) != a)
        let sets = try database.query(sql: "SELECT count(DISTINCT hyperparameter_set_id) FROM runs")
        #expect(sets.rows == [[.integer(1)]], "seeds of one setting share a hyperparameter set")
        // The BLAS thread count, part of what makes the numbers reproducible, is stored with every run (every test
        // in this process uses the default, all cores: OpenBLAS's count is process-wide).
        let threads = try database.query(sql: "SELECT DISTINCT blas_threads FROM runs")
        #expect(threads.rows == [[.integer(Int64(ProcessInfo.processInfo.activeProcessorCount))]])
    }

    /// With several cores and steps too small to split, each snapshot (the probe forward pass, on the thread's own
    /// copy of the network, and the statistics) runs on a thread of its own; every stored number (statistics,
    /// histograms, matrices, CKA against earlier snapshots) is the one the training thread would have computed, with
    /// batch norm's running statistics and dropout in the network too.
    @Test(arguments: ["32,16:tanh", "dense32-bn-relu-dropout0.2-dense16-tanh"])
    func snapshotsOnTheirOwnThreadStoreWhatTheTrainingThreadWould(architecture: String) throws {
        guard ProcessInfo.processInfo.activeProcessorCount > 1 else { return }
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        var configuration = small(seed: 7)
        configuration.architecture = architecture
        configuration.statistics = .all
        configuration.storeMatrices = 3
        configuration.snapshotEvery = 5
        let background = try ExperimentRunner(configuration).run(in: database)
        let runner = try ExperimentRunner(configuration)
        runner.snapshotsMayRunInBackground = false
        let foreground = try runner.run(in: database)
        #expect(background.backgroundSnapshotTime > 0, "the statistics ran on their own thread")
        #expect(foreground.backgroundSnapshotTime == 0)
        #expect(background.snapshotSteps == foreground.snapshotSteps)
        func stored(_ runID: Int64) throws -> [ResultTable] {
            try ["snapshots", "snapshot_histograms", "correlation_matrices"].map { table in
                let columns = try database.query(sql: "SELECT name FROM pragma_table_info('\(table)') WHERE name <> 'run_id'")
                    .rows.map { row -> String in
                        guard case .text(let name) = row[0] else { return "NULL" }
                        return "\"\(name)\""
                    }
                return try database.query(sql: """
                    SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE run_id = :run ORDER BY 1, 2, 3
                    """, arguments: ["run": .integer(runID)])
            }
        }
        let tables = try stored(background.runID)
        #expect(tables[0].rows.count == background.snapshotSteps * 2)
        #expect(!tables[2].rows.isEmpty, "matrices were stored")
        let other = try stored(foreground.runID)
        for (index, table) in tables.enumerated() where other[index] != table {
            for (row, values) in table.rows.enumerated() where other[index].rows[row] != values {
                let differing = values.indices.filter { values[$0] != other[index].rows[row][$0] }
                Issue.record("table \(index) row \(row) columns \(differing.map { table.columns[$0] }): \(differing.map { values[$0] }) vs \(differing.map { other[index].rows[row][$0] })")
                break
            }
        }
        #expect(other == tables)
    }

    @Test func stoppingMarksTheRunInterrupted() throws {
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        var polls = 0
        let outcome = try ExperimentRunner(small()).run(in: database, shouldStop: {
            polls += 1
            return polls > 30
        })
        #expect(outcome.status == .interrupted)
        #expect(outcome.steps == 30)
        let run = try database.query(sql: "SELECT status, (SELECT count(*) FROM step_metrics) FROM runs")
        #expect(run.rows == [[.text("interrupted"), .integer(30)]])
    }

    @Test func invalidConfigurationsAreRefusedBeforeAnythingIsWritten() throws {
        var configuration = small()
        configuration.dataset = "cifar"
        #expect(throws: ConfigurationError.self) { try ExperimentRunner(configuration) }
        configuration = small()
        configuration.probeSamples = 1000
        #expect(throws: ConfigurationError.self) { try ExperimentRunner(configuration) }
        configuration = small()
        configuration.architecture = "0"
        #expect(throws: (any Error).self) { try ExperimentRunner(configuration) }
    }

    @Test func deCovLowersThePenalisedLayersCorrelationAndIsRecordedApart() throws {
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        let plain = try ExperimentRunner(small(seed: 1)).run(in: database)
        var penalised = small(seed: 1)
        penalised.decov = 0.1
        penalised.decovLayers = ["dense1"]
        let decov = try ExperimentRunner(penalised).run(in: database)
        func final(_ outcome: ExperimentOutcome, _ layer: String) -> Double {
            outcome.layers.first { $0.name == layer }?.finalMeanAbsR ?? .nan
        }
        // Measured: 0.2265 without, 0.1679 with DeCov 0.1 on dense1 (seeds 2 and 3: 0.238 → 0.165, 0.216 → 0.157).
        #expect(final(decov, "dense1") < final(plain, "dense1") - 0.03,
                "dense1 final mean |r|: \(final(plain, "dense1")) without, \(final(decov, "dense1")) with DeCov")

        func keys(_ runID: Int64) throws -> ResultTable {
            try database.query(sql: """
                SELECT h.key, h.value FROM runs r JOIN hyperparameters h ON h.set_id = r.hyperparameter_set_id
                WHERE r.id = :run AND h.key LIKE 'decov%' ORDER BY h.key
                """, arguments: ["run": .integer(runID)])
        }
        #expect(try keys(plain.runID).rows.isEmpty, "no DeCov keys when it is off: existing hashes stay")
        #expect(try keys(decov.runID).rows == [[.text("decov"), .real(0.1)], [.text("decov_layers"), .text("dense1")]])

        // train_loss is the task loss: the first step (same initialisation and batch) has the same cross-entropy.
        let first = try database.query(sql: "SELECT run_id, train_loss, penalty FROM step_metrics WHERE step = 1 ORDER BY run_id")
        #expect(first.rows.count == 2 && first.rows[0][1] == first.rows[1][1])
        #expect(first.rows[0][2] == .real(0))
        let penalties = try database.query(sql: """
            SELECT count(*), min(p.value) > 0, max(abs(m.penalty - p.value)) < 1e-12 FROM step_penalties p
            JOIN step_metrics m USING (run_id, step) WHERE p.run_id = :run AND p.name = 'decov_dense1'
            """, arguments: ["run": .integer(decov.runID)])
        #expect(penalties.rows == [[.integer(Int64(decov.steps)), .integer(1), .integer(1)]])
        #expect(try database.query(sql: "SELECT count(*) FROM step_penalties WHERE run_id = \(plain.runID)").rows
                    == [[.integer(0)]])

        // Without layers DeCov penalises every probed layer; a layer that does not exist is refused by name.
        var everywhere = small(seed: 1)
        everywhere.decov = 0.1
        #expect(try ExperimentRunner(everywhere).hyperparameters["decov_layers"] == .text("dense1,dense2"))
        everywhere.decovLayers = ["dense9"]
        #expect(throws: ConfigurationError.self) { try ExperimentRunner(everywhere) }
        everywhere.decov = -1
        #expect(throws: ConfigurationError.self) { try ExperimentRunner(everywhere) }
    }

    @Test func theDeCovSettingParses() throws {
        let everyLayer = try ExperimentConfiguration.parseDeCov("0.1")
        #expect(everyLayer.weight == 0.1 && everyLayer.layers.isEmpty)
        let named = try ExperimentConfiguration.parseDeCov("1e-2@dense1, dense2")
        #expect(named.weight == 0.01 && named.layers == ["dense1", "dense2"])
        for (text, message) in [
            ("abc", "DeCov setting 'abc' must be WEIGHT[@LAYER,...] with WEIGHT a number ≥ 0, got 'abc'"),
            ("-1@dense1", "DeCov setting '-1@dense1' must be WEIGHT[@LAYER,...] with WEIGHT a number ≥ 0, got '-1'"),
            ("nan", "DeCov setting 'nan' must be WEIGHT[@LAYER,...] with WEIGHT a number ≥ 0, got 'nan'"),
            ("0.1@", "DeCov setting '0.1@' has an empty layer name after '@'"),
            ("0.1@dense1,,dense2", "DeCov setting '0.1@dense1,,dense2' has an empty layer name after '@'"),
            ("0.1@dense1,dense1", "DeCov setting '0.1@dense1,dense1' names dense1 twice"),
        ] {
            do {
                _ = try ExperimentConfiguration.parseDeCov(text)
                Issue.record("'\(text)' was accepted")
            } catch {
                #expect(error.description == message)
                #expect(error.setting == "decov")
            }
        }
    }

    @Test func theDefaultExperimentReachesNinetyFivePercentOnDigits() throws {
        let (database, folder) = try temporaryDatabase()
        defer { folder.cleanup() }
        let outcome = try ExperimentRunner(ExperimentConfiguration()).run(in: database)
        #expect(outcome.status == .finished)
        #expect((outcome.finalTest?.accuracy ?? 0) >= 0.95, "test accuracy \(outcome.finalTest?.accuracy ?? 0)")
    }
}
