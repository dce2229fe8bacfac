// ReproductionStudy: the conditions and their sweeps (the tour's flags, seeds, length, names), and the checks before training.
import Foundation
import Testing
import TrackerEngine
import TrackerStore
@testable import TrackerExperiments

@Suite struct ReproductionStudyTests {
    @Test func theFullStudyIsTheToursFamiliesAndTheControlsWithFiveSeeds() throws {
        let study = ReproductionStudy(quick: false)
        #expect(study.conditions.map(\.name) == ["mlp", "cnn", "rnn", "lstm", "mlp-shuffled-labels", "mlp-decov-0.01",
                                                 "mlp-decov-0.1", "mlp-decov-1"])
        #expect(study.conditions.map(\.role.rawValue) == ["family", "family", "family", "family", "control", "control",
                                                          "control", "control"])
        #expect(study.seeds == 5 && study.epochs == 20 && study.snapshotEvery == 50 && study.data == "mnist-5k")
        #expect(study.tag == "reproduce")
        let mlp = try study.sweepDefinition(for: study.conditions[0])
        #expect(mlp.name == "reproduce-mlp" && mlp.runCount == 5)
        let points = try mlp.expand(threads: 2)
        #expect(points.map(\.seed) == [0, 1, 2, 3, 4])
        let configuration = points[3].configuration
        #expect(configuration.architecture == "dense256-relu-dense256-relu-dense128-relu")
        #expect(configuration.dataset == "mnist-5k" && configuration.epochs == 20 && configuration.snapshotEvery == 50)
        #expect(configuration.optimizer == .sgd && configuration.learningRate == 0.05 && configuration.momentum == 0.9)
        #expect(configuration.tags == ["reproduce", "reproduce-mlp"])
        #expect(configuration.name == "reproduce-mlp seed=3")
        // A run's identity leaves the threads out: a study resumed with other --jobs finds its runs.
        #expect(try mlp.expand(threads: 1).map(\.key) == points.map(\.key))
    }

    @Test func theQuickStudyIsShorterWithTwoSeedsAndItsOwnSweeps() throws {
        let study = ReproductionStudy(quick: true)
        #expect(study.seeds == 2 && study.epochs == 8 && study.snapshotEvery == 25 && study.tag == "reproduce-quick")
        // 1,000 steps on mnist-5k (4,000 training samples, batches of 32): the early log-spaced snapshots up to step 24,
        // where the tour's peaks lie, then every 25 steps.
        let steps = SnapshotSchedule(every: study.snapshotEvery, totalSteps: 4000 / 32 * study.epochs).steps()
        #expect(steps.count == 51 && Array(steps.prefix(12)) == [0, 1, 2, 3, 4, 6, 7, 10, 13, 18, 24, 25])

        let byName = Dictionary(uniqueKeysWithValues: study.conditions.map { ($0.name, $0) })
        let lstm = try study.sweepDefinition(for: byName["lstm"]!).expand(threads: 1)
        #expect(lstm.count == 2 && lstm[1].configuration.architecture == "lstm128")
        #expect(lstm[1].configuration.optimizer == .adam && lstm[1].configuration.learningRate == 0.001)
        #expect(lstm[1].configuration.epochs == 8 && lstm[1].configuration.name == "reproduce-quick-lstm seed=1")
        let rnn = try study.sweepDefinition(for: byName["rnn"]!).expand(threads: 1)[0].configuration
        #expect(rnn.architecture == "rnn128" && rnn.optimizer == .adam)
        let cnn = try study.sweepDefinition(for: byName["cnn"]!).expand(threads: 1)[0].configuration
        #expect(cnn.architecture == "conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu")
        let shuffled = try study.sweepDefinition(for: byName["mlp-shuffled-labels"]!).expand(threads: 1)[0].configuration
        #expect(shuffled.shuffleLabels && shuffled.architecture == "dense256-relu-dense256-relu-dense128-relu")
        for weight in [0.01, 0.1, 1] {
            let name = "mlp-decov-\(weight == 1 ? "1" : String(weight))"
            let decov = try study.sweepDefinition(for: byName[name]!).expand(threads: 1)[0].configuration
            #expect(decov.decov == weight && decov.decovLayers.isEmpty && !decov.shuffleLabels, "\(name)")
        }
        // The quick and full studies never share a sweep, nor a run.
        let full = ReproductionStudy(quick: false, seeds: 2)
        let quickKeys = Set(try study.sweepDefinition(for: byName["mlp"]!).expand(threads: 1).map(\.key))
        let fullKeys = Set(try full.sweepDefinition(for: full.conditions[0]).expand(threads: 1).map(\.key))
        #expect(quickKeys.isDisjoint(with: fullKeys))
    }

    @Test func everyConditionIsCheckedBeforeAnyTrains() throws {
        let study = ReproductionStudy(quick: true, data: "digits", epochs: 1, only: ["mlp-decov-1", "cnn"])
        #expect(study.conditions.map(\.name) == ["cnn", "mlp-decov-1"], "the study's order, not the given one")
        let definitions = try study.definitions(threads: 1)
        #expect(definitions.map(\.definition.name) == ["reproduce-quick-cnn", "reproduce-quick-mlp-decov-1"])
        #expect(definitions.allSatisfy { $0.points.count == 2 })

        let unknown = ReproductionStudy(quick: true, data: "no-such-data", only: ["mlp"])
        #expect {
            try unknown.definitions(threads: 1)
        } throws: { error in
            (error as? SweepError)?.description.contains("unknown data set 'no-such-data'") == true
        }
    }
}
