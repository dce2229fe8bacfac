// RunComparison on real short runs (two learning rates × two seeds): grouping, differing parameters, summaries
// checked against the stored rows, values at steps checked against the snapshots table, errors, a running run.
import Foundation
import Testing
import TrackerAnalysis
import TrackerStore
import TrackerTestSupport
@testable import TrackerExperiments

/// Four runs, trained once and copied into each test's folder: learning rate 0.05 with seeds 1 and 2 (runs 1, 2),
/// then 0.02 with seeds 1 and 2 (runs 3, 4); 24-12 units, 2 epochs, a snapshot every 20 steps.
enum ComparisonFixture {
    static func configuration(learningRate: Double, seed: UInt64) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.architecture = "24,12"
        configuration.epochs = 2
        configuration.snapshotEvery = 20
        configuration.learningRate = learningRate
        configuration.seed = seed
        return configuration
    }

    struct BuildFailure: Error, Sendable { let message: String }

    /// The database file's bytes: trained once, in a folder removed at once.
    static let template: Result<Data, BuildFailure> = {
        do {
            let folder = try TemporaryFolder(prefix: "tracker-comparison-template")
            defer { folder.cleanup() }
            // The database is closed (its WAL checkpointed into the file) when it goes out of scope.
            try {
                let database = try TrackerDatabase.open(path: folder.path("runs.sqlite"))
                for (rate, seed) in [(0.05, 1), (0.05, 2), (0.02, 1), (0.02, 2)] as [(Double, UInt64)] {
                    _ = try ExperimentRunner(configuration(learningRate: rate, seed: seed)).run(in: database)
                }
            }()
            guard !FileManager.default.fileExists(atPath: folder.path("runs.sqlite-wal")) else {
                return .failure(BuildFailure(message: "the template database was not closed"))
            }
            return .success(try Data(contentsOf: URL(fileURLWithPath: folder.path("runs.sqlite"))))
        } catch {
            return .failure(BuildFailure(message: "\(error)"))
        }
    }()

    /// A fresh copy of the four-run database in a new folder.
    static func copy() throws -> (TrackerDatabase, TemporaryFolder) {
        let folder = try TemporaryFolder(prefix: "tracker-comparison")
        try template.get().write(to: URL(fileURLWithPath: folder.path("runs.sqlite")))
        return (try TrackerDatabase.open(path: folder.path("runs.sqlite")), folder)
    }
}

@Suite(.serialized) struct RunComparisonTests {
    /// The run's value of a snapshot column at the nearest snapshot at or before `step`, straight from SQL.
    func storedValue(_ database: TrackerDatabase, run: Int64, layer: String, step: Int,
                     column: String = "mean_abs_r") throws -> Double? {
        let table = try database.query(sql: """
            SELECT \(column) FROM snapshot_series WHERE run_id = :run AND layer_name = :layer AND step <= :step
            ORDER BY step DESC LIMIT 1
            """, arguments: ["run": .integer(run), "layer": .text(layer), "step": .integer(Int64(step))])
        guard case .real(let value) = table.rows.first?.first else { return nil }
        return value
    }

    @Test func seedsArePooledAndOnlyTheDifferingParameterIsShown() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        let comparison = try RunComparison.compare([1, 2, 3, 4], in: database)
        #expect(comparison.grouping == .seeds)
        #expect(comparison.parameterNames == ["learning_rate"])
        #expect(comparison.pooledParameterNames == [])
        #expect(comparison.groups.map(\.runIDs) == [[3, 4], [1, 2]], "ordered by learning rate")
        #expect(comparison.groups.map { $0.parameters["learning_rate"] } == [.value(.real(0.02)), .value(.real(0.05))])

        let stored = try database.query(sql: "SELECT count(*) FROM phase_results WHERE statistic = 'mean_abs_r'")
        #expect(stored.rows == [[.integer(8)]], "phases of 4 runs × 2 layers detected and stored")
        for group in comparison.groups {
            #expect(group.statusCounts == ["finished": 2])
            #expect(group.layers.map(\.layerName) == ["dense1", "dense2"])
            #expect(group.layers.map(\.reduction) == ["none", "none"])
            let accuracies = try group.runIDs.map { run -> Double in
                let table = try database.query(sql: """
                    SELECT accuracy FROM evaluations WHERE run_id = :run AND split = 'test' ORDER BY step DESC LIMIT 1
                    """, arguments: ["run": .integer(run)])
                guard case .real(let accuracy) = table.rows.first?.first else { throw CancellationError() }
                return accuracy
            }
            #expect(group.testAccuracy == SampleSummary(accuracies))
            for layer in group.layers {
                #expect(layer.runIDs == group.runIDs)
                #expect(layer.phases.seedCount == 2)
                let results = layer.records.map {
                    PhaseResult(phaseClass: PhaseClass(rawValue: $0.phaseClass)!, pointCount: $0.pointCount,
                                peakStep: $0.peakStep, parameters: .init())
                }
                let expected = PhaseDetector.summarizeSeeds(results)
                #expect(layer.phases.classCounts == expected.classCounts)
                #expect(layer.phases.medianPeakStep == expected.medianPeakStep)
                #expect(layer.phases.peakStepLower == expected.peakStepLower)
                #expect(layer.finalValue == SampleSummary(layer.records.map(\.finalValue)))
                #expect(layer.peakValue == SampleSummary(layer.records.map(\.peakValue)))
                #expect(layer.decayFraction == SampleSummary(layer.records.map(\.decayFraction)))
                #expect(layer.finalValue.count == 2)
                #expect(layer.trajectory == nil)
            }
        }

        let everything = try RunComparison.compare([1, 2, 3, 4], in: database, options: .init(allParameters: true))
        for name in ["arch", "dataset", "batch_size", "epochs", "learning_rate", "momentum", "optimizer"] {
            #expect(everything.parameterNames.contains(name), "\(name)")
        }
        #expect(everything.parameterNames.prefix(2) == ["arch", "dataset"])
        #expect(everything.groups[0].parameters["arch"] == .value(.text("64-24relu-12relu-10")))
        #expect(everything.groups[0].parameters["epochs"] == .value(.integer(2)))
    }

    @Test func groupByKeysPoolsEverythingElse() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        let byRate = try RunComparison.compare([1, 2, 3, 4], in: database, options: .init(grouping: .keys(["lr"])))
        #expect(byRate.grouping == .keys(["learning_rate"]))
        #expect(byRate.parameterNames == ["learning_rate"])
        #expect(byRate.groups.map(\.runIDs) == [[3, 4], [1, 2]])

        let bySeed = try RunComparison.compare([1, 2, 3, 4], in: database, options: .init(grouping: .keys(["seed"])))
        #expect(bySeed.parameterNames == ["seed"], "learning rate varies within each group: pooled, not shown")
        #expect(bySeed.pooledParameterNames == ["learning_rate"])
        #expect(bySeed.groups.map(\.runIDs) == [[1, 3], [2, 4]])
        #expect(bySeed.groups[0].parameters["learning_rate"] == .mixed([.real(0.02), .real(0.05)]))
        #expect(bySeed.groups[0].layers.allSatisfy { $0.phases.seedCount == 2 })

        let byArchitecture = try RunComparison.compare([1, 2, 3, 4], in: database,
                                                       options: .init(grouping: .keys(["architecture"])))
        #expect(byArchitecture.grouping == .keys(["arch"]))
        #expect(byArchitecture.groups.map(\.runIDs) == [[1, 2, 3, 4]])
        #expect(byArchitecture.groups[0].layers.map { $0.records.count } == [4, 4])
        #expect(byArchitecture.groups[0].testAccuracy.count == 4)
        let shown = try RunComparison.compare([1, 2, 3, 4], in: database,
                                              options: .init(grouping: .keys(["arch"]), allParameters: true))
        #expect(shown.parameterNames.first == "arch" && shown.parameterNames.contains("learning_rate"))
        #expect(shown.groups[0].parameters["learning_rate"] == .mixed([.real(0.02), .real(0.05)]))
    }

    @Test func withoutGroupingEveryRunIsItsOwnRow() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        let comparison = try RunComparison.compare([4, 1, 3, 2], in: database, options: .init(grouping: .none))
        #expect(comparison.groups.map(\.runIDs) == [[3], [4], [1], [2]], "by learning rate, then run")
        for group in comparison.groups {
            #expect(group.testAccuracy.count == 1 && group.testAccuracy.standardDeviation == nil)
            for layer in group.layers {
                #expect(layer.finalValue.mean == layer.records[0].finalValue)
                #expect(layer.phases.medianPeakStep == layer.records[0].peakStep)
                #expect(layer.phases.peakStepLower == nil, "one seed has no interval")
            }
        }
        let two = try RunComparison.compare([2, 3], in: database, options: .init(grouping: .none))
        #expect(two.parameterNames == ["learning_rate"], "seeds differ too, but the seed is no parameter")
        let one = try RunComparison.compare([2], in: database)
        #expect(one.parameterNames == [] && one.groups.count == 1)
    }

    @Test func valuesAtStepsMatchTheSnapshotsTable() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        let steps = [0, 5, 37, 60, 100_000]
        let comparison = try RunComparison.compare([1, 2, 3, 4], in: database,
                                                   options: .init(atSteps: steps, includeTrajectories: true))
        #expect(comparison.atSteps == steps)
        for group in comparison.groups {
            for layer in group.layers {
                #expect(layer.atSteps.count == steps.count)
                for (index, step) in steps.enumerated() {
                    let stored = try group.runIDs.map {
                        try #require(try storedValue(database, run: $0, layer: layer.layerName, step: step))
                    }
                    let expected = SampleSummary(stored)
                    #expect(layer.atSteps[index].count == 2)
                    assertClose(try #require(layer.atSteps[index].mean), try #require(expected.mean))
                    assertClose(try #require(layer.atSteps[index].standardDeviation),
                                try #require(expected.standardDeviation))
                }
                // The trajectory is the mean of the two seeds' series, step by step.
                let trajectory = try #require(layer.trajectory)
                let distinctSteps = try database.query(sql: "SELECT count(DISTINCT step) FROM snapshots WHERE run_id = 1")
                #expect(distinctSteps.rows == [[.integer(Int64(trajectory.steps.count))]])
                for (step, value) in zip(trajectory.steps, trajectory.values) where step % 20 == 0 {
                    let pair = try group.runIDs.map {
                        try #require(try storedValue(database, run: $0, layer: layer.layerName, step: step))
                    }
                    assertClose(try #require(value), (pair[0] + pair[1]) / 2)
                }
            }
        }
        let signed = try RunComparison.compare([1], in: database, options: .init(statistic: "mean_r", atSteps: [60]))
        let stored = try storedValue(database, run: 1, layer: "dense2", step: 60, column: "mean_r")
        #expect(signed.groups[0].layers[1].atSteps[0].mean == stored)
        #expect(signed.groups[0].layers[1].records[0].statistic == "mean_r")
    }

    @Test func namesTheRunsDoNotHaveAreErrors() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        #expect(throws: ComparisonError.unknownLayer("dense7", known: ["dense1", "dense2"])) {
            try RunComparison.compare([1, 2], in: database, options: .init(layer: "dense7"))
        }
        let known = try database.filterNames()
        #expect(throws: ComparisonError.unknownName("lrr", known: known)) {
            try RunComparison.compare([1, 2], in: database, options: .init(grouping: .keys(["lr", "lrr"])))
        }
        #expect(ComparisonError.unknownName("lrr", known: ["a", "b"]).description == "unknown name 'lrr' (known: a, b)")
        #expect(throws: StoreError.unknownStatistic("median_r", known: try database.snapshotStatisticColumns())) {
            try RunComparison.compare([1, 2], in: database, options: .init(statistic: "median_r"))
        }
        let dense2 = try RunComparison.compare([1, 2], in: database, options: .init(layer: "dense2", atSteps: [10]))
        #expect(dense2.groups[0].layers.map(\.layerName) == ["dense2"])
    }

    /// With --layer, runs that do not probe that layer leave the comparison instead of showing empty rows.
    @Test func aLayerOnlySomeRunsProbeKeepsJustThoseRuns() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        var other = ComparisonFixture.configuration(learningRate: 0.05, seed: 1)
        other.architecture = "conv4k3-relu-flatten-dense8-relu"
        let conv = try ExperimentRunner(other).run(in: database)
        let everything = try RunComparison.compare([1, conv.runID], in: database, options: .init())
        #expect(everything.groups.count == 2)
        let dense2 = try RunComparison.compare([1, conv.runID], in: database, options: .init(layer: "dense2"))
        #expect(dense2.groups.map { $0.runs.map(\.id) } == [[1]])
        let conv1 = try RunComparison.compare([1, conv.runID], in: database, options: .init(layer: "conv1"))
        #expect(conv1.groups.map { $0.runs.map(\.id) } == [[conv.runID]])
        #expect(conv1.groups[0].layers.map(\.reduction) == ["spatial_mean"])
    }

    /// Compared from inside the training loop, after the first epoch was flushed: the run is `running`, compared on
    /// the snapshots it has, and compared again in full once it finished. The snapshots stay on the training thread,
    /// so that the first epoch's are stored by then however busy the machine is (on a snapshot thread they are
    /// stored as they finish, which a loaded machine can delay past the poll).
    @Test func aRunStillRunningIsComparedOnWhatItHas() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        var polls = 0
        var during: Comparison?
        var snapshotsThen: ResultTable?
        var runner = try ExperimentRunner(ComparisonFixture.configuration(learningRate: 0.05, seed: 3))
        runner.snapshotsMayRunInBackground = false
        let outcome = try runner.run(in: database, shouldStop: {
            polls += 1
            if polls == runner.schedule.totalSteps / 2 + 5 {  // past the end of the first epoch, which is flushed
                during = try? RunComparison.compare([1, 2, 5], in: database, options: .init(atSteps: [1_000]))
                snapshotsThen = try? database.query(sql: "SELECT max(step) FROM snapshots WHERE run_id = 5")
            }
            return false
        })
        #expect(outcome.runID == 5 && outcome.status == .finished)
        let comparison = try #require(during)
        #expect(comparison.groups.map(\.runIDs) == [[1, 2, 5]], "the third seed joins its configuration")
        let group = comparison.groups[0]
        #expect(group.statusCounts == ["finished": 2, "running": 1])
        #expect(group.runningCount == 1)
        #expect(group.testAccuracy.count == 3, "its latest test evaluation is the first epoch's")
        let partial = try #require(group.layers[0].records.first { $0.runID == 5 })
        #expect(partial.runStatus == "running")
        guard case .integer(let lastSnapshot) = snapshotsThen?.rows.first?.first else {
            Issue.record("no snapshots while running")
            return
        }
        #expect(partial.lastStep == Int(lastSnapshot))
        #expect(partial.lastStep! < outcome.steps)

        let after = try RunComparison.compare([1, 2, 5], in: database)
        let full = try #require(after.groups[0].layers[0].records.first { $0.runID == 5 })
        #expect(full.runStatus == "finished" && full.lastStep == outcome.steps, "a running run's phases are redone")
        #expect(after.groups[0].statusCounts == ["finished": 3])
    }

    // MARK: Pure steps

    func facts(_ id: Int64, seed: Int64, set: Int64, architecture: Int64 = 1, parameters: [String: SQLValue] = [:])
        -> RunFacts {
        RunFacts(id: id, uuid: "\(id)", name: nil, status: "finished", seed: seed, architectureID: architecture,
                 architecture: "a\(architecture)", datasetID: 1, dataset: "digits", hyperparameterSetID: set,
                 hyperparameters: parameters, totalSteps: 10, testAccuracy: nil)
    }

    @Test func groupingRules() {
        let runs = [facts(3, seed: 1, set: 2), facts(1, seed: 1, set: 1), facts(2, seed: 2, set: 1),
                    facts(4, seed: 2, set: 1, architecture: 2)]
        #expect(RunComparison.group(runs, by: .seeds).map { $0.map(\.id) } == [[1, 2], [3], [4]])
        #expect(RunComparison.group(runs, by: .none).map { $0.map(\.id) } == [[1], [2], [3], [4]])
        let values: [Int64: [SQLValue]] = [1: [.real(0.1)], 2: [.real(0.1)], 3: [.null], 4: [.null]]
        #expect(RunComparison.group(runs, by: .keys(["lr"]), keyValues: values).map { $0.map(\.id) } == [[1, 2], [3, 4]])
    }

    @Test func differingParametersAndTheirGroupValues() {
        let sets: [[String: SQLValue]] = [
            ["arch": .text("a"), "learning_rate": .real(0.1), "momentum": .real(0.9), "epochs": .integer(2)],
            ["arch": .text("a"), "learning_rate": .real(0.2), "momentum": .real(0.9), "epochs": .integer(2)],
            ["arch": .text("b"), "learning_rate": .real(0.1), "epochs": .integer(2), "beta1": .real(0.9)],
        ]
        #expect(RunComparison.differingNames(sets) == ["arch", "beta1", "learning_rate", "momentum"])
        #expect(RunComparison.differingNames([sets[0], sets[0]]) == [])
        #expect(RunComparison.parameterValue([.real(0.1), .real(0.1)]) == .value(.real(0.1)))
        #expect(RunComparison.parameterValue([.real(0.2), .null, .real(0.1), .real(0.2)])
            == .mixed([.null, .real(0.1), .real(0.2)]))
        #expect(RunComparison.parameterValue([]) == .value(.null))
        #expect(RunComparison.canonicalNames(["lr", "architecture", "learning_rate", "batch", "seed"])
            == ["learning_rate", "arch", "batch_size", "seed"])
        #expect(RunComparison.orderedNames(["momentum", "dataset", "beta1", "arch"]) == ["arch", "dataset", "beta1", "momentum"])
        let run = facts(1, seed: 1, set: 1, parameters: ["learning_rate": .real(0.1)])
        #expect(RunComparison.runParameters(run) == ["learning_rate": .real(0.1), "arch": .text("a1"),
                                                     "dataset": .text("digits")])
    }
}
