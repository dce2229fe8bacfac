// Shared fixtures for store tests: file snapshots and a sample run description.
import Foundation
@testable import TrackerStore

/// Every byte of the database file and its WAL/SHM companions, for "left unchanged" checks.
func fileSnapshot(_ path: String) -> [String: Data] {
    var files: [String: Data] = [:]
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let data = FileManager.default.contents(atPath: path + suffix) { files[suffix] = data }
    }
    return files
}

func sampleRun(name: String? = "sample", seed: Int64 = 1, learningRate: Double = 0.05, tags: [String] = ["t1"]) -> RunDescription {
    RunDescription(
        name: name, seed: seed, host: "test-host", commandLine: "tracker run",
        architecture: ArchitectureDescription(
            specJSON: #"{"layers":[{"units":8,"kind":"dense","activation":"relu"},{"units":3,"kind":"dense"}],"inputSize":4}"#,
            summary: "4-8relu-3", inputSize: 4, outputSize: 3, parameterCount: 67,
            layers: [LayerDescription(index: 0, name: "dense1", kind: "dense", units: 8, activation: "relu", isHidden: true),
                     LayerDescription(index: 1, name: "output", kind: "dense", units: 3, activation: nil, isHidden: false)]),
        hyperparameters: ["learning_rate": .real(learningRate), "batch_size": .integer(16), "optimizer": .text("sgd")],
        dataset: DatasetDescription(name: "toy", source: "made in a test", sampleCount: 30, featureCount: 4,
                                    classCount: 3, contentHash: String(repeating: "ab", count: 32)),
        trainSamples: 20, testSamples: 10, probeSamples: 8, totalSteps: 10,
        snapshotScheduleJSON: #"{"every":5,"kind":"log_then_every","points_per_decade":8,"total_steps":10}"#,
        tags: tags)
}

/// Records a small complete run: 10 steps, snapshots at 0, 5 and 10, a test evaluation at the end.
@discardableResult
func recordSampleRun(_ database: TrackerDatabase, _ run: RunDescription = sampleRun(),
                     peakStep: Int = 5) throws -> Int64 {
    let recorder = try database.beginRun(run)
    for step in 1...10 {
        recorder.record(step: StepMetricsRow(step: step, epoch: (step - 1) / 5, trainLoss: 1.0 / Double(step),
                                             trainAccuracy: Double(step) / 10, learningRate: 0.05, wallTime: Double(step)))
    }
    for step in [0, 5, 10] {
        let value = step == peakStep ? 0.5 : 0.2
        recorder.record(snapshot: SnapshotRow(step: step, layerIndex: 0, probeSamples: 8, units: 8, deadUnits: 1,
                                              pairCount: 21, meanAbsR: value, meanR: value / 2))
    }
    recorder.record(evaluation: EvaluationRow(step: 10, split: "test", loss: 0.3, accuracy: 0.9, sampleCount: 10,
                                              wallTime: 10))
    try recorder.finish(.finished)
    return recorder.runID
}
