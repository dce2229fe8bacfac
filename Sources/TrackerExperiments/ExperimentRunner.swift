// One experiment end to end: load data, train, snapshot hidden-layer correlations, and store everything.
import Foundation
import TrackerAnalysis
import TrackerDatasets
import TrackerEngine
import TrackerStore

/// Where a run stands, reported to the caller while it trains (for a live progress line).
public struct ExperimentProgress: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let epoch: Int
    public let loss: Double
    public let accuracy: Double
    /// The latest mean |r| of each hidden layer (nil before the first snapshot or when undefined).
    public let meanAbsR: [(layer: String, value: Double?)]
    public let elapsed: Double
}

/// How a run ended.
public struct ExperimentOutcome: Sendable {
    public let runID: Int64
    public let uuid: UUID
    public let status: RunStatus
    public let steps: Int
    public let totalSteps: Int
    public let snapshotSteps: Int
    public let finalTest: Evaluation?
    public let finalTrain: Evaluation?
    /// The last mean |r| per hidden layer and the step at which it peaked.
    public let layers: [(name: String, peakStep: Int, peakMeanAbsR: Double?, finalMeanAbsR: Double?)]
    public let wallTime: Double
}

/// Trains one network as configured and records the run in a tracker database. One runner, one run.
///
/// ```swift
/// let runner = try ExperimentRunner(configuration)
/// let outcome = try runner.run(in: database, shouldStop: { interrupted }, progress: { print($0.step) })
/// ```
public final class ExperimentRunner {
    public let configuration: ExperimentConfiguration
    public let architecture: Architecture
    public let schedule: SnapshotSchedule
    let split: DatasetSplit
    let datasetDescription: DatasetDescription
    let trainer: Trainer
    /// The uuid the run will be stored under.
    let runUUID = UUID()
    private var hasRun = false

    /// Rows buffered before the recorder writes them in one transaction, and the longest a row waits.
    static let flushRows = 2048
    static let flushSeconds = 2.0

    /// Validates the configuration, loads and splits the data and builds the network.
    ///
    /// - Throws: ``ConfigurationError`` (or the engine's one-line errors) for settings that cannot run.
    public init(_ configuration: ExperimentConfiguration) throws {
        self.configuration = configuration
        guard let bundled = BundledDataset.named(configuration.dataset) else {
            let names = BundledDataset.all.map(\.name).joined(separator: ", ")
            throw ConfigurationError(description: "unknown dataset '\(configuration.dataset)' (available: \(names))")
        }
        let data = try bundled.load()
        guard configuration.testSamples >= 1, configuration.testSamples < data.count else {
            throw ConfigurationError(description: "--test-samples must be between 1 and \(data.count - 1)")
        }
        guard configuration.probeSamples >= 2, configuration.probeSamples <= configuration.testSamples else {
            throw ConfigurationError(
                description: "--probe-samples must be between 2 and the test samples (\(configuration.testSamples))")
        }
        guard configuration.snapshotEvery >= 1 else {
            throw ConfigurationError(description: "--snapshot-every must be at least 1")
        }
        architecture = try Architecture.parse(configuration.architecture, inputSize: data.featureCount,
                                              outputSize: data.classCount,
                                              defaultActivation: configuration.activation)
        split = data.split(testCount: configuration.testSamples, probeCount: configuration.probeSamples,
                           seed: configuration.seed)
        let options = TrainingOptions(
            learningRate: Float(configuration.learningRate), momentum: Float(configuration.momentum),
            batchSize: configuration.batchSize, epochs: configuration.epochs, seed: configuration.seed,
            initialization: configuration.initialization)
        trainer = try Trainer(architecture: architecture, options: options, training: split.train)
        schedule = SnapshotSchedule(every: configuration.snapshotEvery, pointsPerDecade: configuration.snapshotsPerDecade,
                                    totalSteps: trainer.totalSteps)
        datasetDescription = DatasetDescription(
            name: bundled.name, source: bundled.source, sampleCount: data.count, featureCount: data.featureCount,
            classCount: data.classCount, contentHash: Self.contentHash(of: data))
    }

    /// Trains, snapshots and records the run.
    ///
    /// - Parameters:
    ///   - database: Where the run goes.
    ///   - shouldStop: Polled once per step; when it returns true the run stops, is marked `interrupted`, and
    ///     keeps everything recorded so far.
    ///   - progress: Called at most ten times a second, and at the end.
    /// - Throws: Store errors. A failure while training marks the run `failed` with the message, then rethrows.
    public func run(in database: TrackerDatabase, shouldStop: () -> Bool = { false },
                    progress: (ExperimentProgress) -> Void = { _ in }) throws -> ExperimentOutcome {
        precondition(!hasRun, "an ExperimentRunner trains one run; make a new runner for the next")
        hasRun = true
        let recorder = try database.beginRun(runDescription())
        do {
            return try train(recorder: recorder, shouldStop: shouldStop, progress: progress)
        } catch {
            try? recorder.finish(.failed, errorMessage: "\(error)")
            throw error
        }
    }

    private func train(recorder: RunRecorder, shouldStop: () -> Bool,
                       progress: (ExperimentProgress) -> Void) throws -> ExperimentOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let duration = clock.now - start
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        // Hidden layers are layers 0..<hiddenCount, so a hidden layer's index is also its position here.
        let hiddenNames = architecture.hiddenLayers.indices.map(architecture.layerName(at:))
        let scheduled = Set(schedule.steps())
        let workspace = CorrelationWorkspace()
        var latest: [Double?] = Array(repeating: nil, count: hiddenNames.count)
        var peaks: [(step: Int, value: Double?)] = Array(repeating: (0, nil), count: hiddenNames.count)
        var snapshotSteps = 0
        var lastFlush = 0.0
        var lastProgress = -1.0

        func snapshot(at step: Int) {
            for activations in trainer.hiddenActivations(split.probe) {
                let summary = activations.values.withUnsafeBufferPointer {
                    workspace.summarize($0, samples: activations.samples, units: activations.units)
                }
                let layer = activations.layerIndex
                recorder.record(snapshot: SnapshotRow(
                    step: step, layerIndex: layer, probeSamples: summary.samples, units: summary.units,
                    deadUnits: summary.deadUnits, nonFiniteUnits: summary.nonFiniteUnits, pairCount: summary.pairCount,
                    meanAbsR: summary.meanAbsR, meanR: summary.meanR))
                latest[layer] = summary.meanAbsR
                if let value = summary.meanAbsR, value > (peaks[layer].value ?? -1) { peaks[layer] = (step, value) }
            }
            snapshotSteps += 1
        }
        func report(_ result: StepResult, elapsed: Double) {
            progress(ExperimentProgress(
                step: result.step, totalSteps: trainer.totalSteps, epoch: result.epoch, loss: Double(result.loss),
                accuracy: Double(result.accuracy), meanAbsR: Array(zip(hiddenNames, latest)), elapsed: elapsed))
        }
        func evaluate(at step: Int, splits: [(String, Dataset)]) -> [String: Evaluation] {
            var results: [String: Evaluation] = [:]
            for (name, data) in splits {
                let evaluation = trainer.evaluate(data)
                results[name] = evaluation
                recorder.record(evaluation: EvaluationRow(
                    step: step, split: name, loss: evaluation.loss, accuracy: evaluation.accuracy,
                    sampleCount: evaluation.sampleCount, wallTime: elapsed()))
            }
            return results
        }

        snapshot(at: 0)
        _ = evaluate(at: 0, splits: [("test", split.test)])
        try recorder.flush()
        var status = RunStatus.finished
        var last: StepResult?
        while trainer.completedSteps < trainer.totalSteps {
            if shouldStop() { status = .interrupted; break }
            let result = trainer.step()
            last = result
            let now = elapsed()
            recorder.record(step: StepMetricsRow(
                step: result.step, epoch: result.epoch, trainLoss: Double(result.loss),
                trainAccuracy: Double(result.accuracy), learningRate: Double(result.learningRate), wallTime: now))
            if scheduled.contains(result.step) { snapshot(at: result.step) }
            let endOfEpoch = result.step % trainer.stepsPerEpoch == 0 && result.step < trainer.totalSteps
            if endOfEpoch { _ = evaluate(at: result.step, splits: [("test", split.test)]) }
            if endOfEpoch || recorder.pendingRows >= Self.flushRows || now - lastFlush >= Self.flushSeconds {
                try recorder.flush()
                lastFlush = now
            }
            if now - lastProgress >= 0.1 {
                lastProgress = now
                report(result, elapsed: now)
            }
        }
        let finalStep = trainer.completedSteps
        var finals: [String: Evaluation] = [:]
        if status == .finished {  // the schedule always holds the last step, so its snapshot is taken
            finals = evaluate(at: finalStep, splits: [("train", split.train), ("test", split.test)])
        }
        try recorder.finish(status)
        if let last { report(last, elapsed: elapsed()) }
        return ExperimentOutcome(
            runID: recorder.runID, uuid: runUUID, status: status, steps: finalStep, totalSteps: trainer.totalSteps,
            snapshotSteps: snapshotSteps, finalTest: finals["test"], finalTrain: finals["train"],
            layers: hiddenNames.indices.map { (hiddenNames[$0], peaks[$0].step, peaks[$0].value, latest[$0]) },
            wallTime: elapsed())
    }

    /// What the store records about this run before it trains.
    func runDescription() throws -> RunDescription {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let spec = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        let layers = architecture.layers.enumerated().map { index, layer in
            LayerDescription(index: index, name: architecture.layerName(at: index), kind: layer.kind.rawValue,
                             units: layer.units, activation: layer.activation?.rawValue,
                             isHidden: index < architecture.layers.count - 1)
        }
        let hyperparameters: [String: HyperparameterValue] = [
            "learning_rate": .real(configuration.learningRate),
            "momentum": .real(configuration.momentum),
            "batch_size": .integer(Int64(configuration.batchSize)),
            "epochs": .integer(Int64(configuration.epochs)),
            "optimizer": .text("sgd"),
            "loss": .text("softmax_cross_entropy"),
            "initialization": .text(configuration.initialization.rawValue),
            "activation": .text(hiddenActivation),
            "snapshot_every": .integer(Int64(configuration.snapshotEvery)),
            "snapshots_per_decade": .integer(Int64(configuration.snapshotsPerDecade)),
            "test_samples": .integer(Int64(configuration.testSamples)),
            "probe_samples": .integer(Int64(split.probe.count)),
        ]
        return RunDescription(
            uuid: runUUID, name: configuration.name, seed: Int64(bitPattern: configuration.seed),
            host: ProcessInfo.processInfo.hostName, commandLine: configuration.commandLine,
            architecture: ArchitectureDescription(
                specJSON: spec, summary: architecture.summary, inputSize: architecture.inputSize,
                outputSize: architecture.outputSize, parameterCount: architecture.parameterCount, layers: layers),
            hyperparameters: hyperparameters, dataset: datasetDescription, trainSamples: split.train.count,
            testSamples: split.test.count, probeSamples: split.probe.count, totalSteps: trainer.totalSteps,
            snapshotScheduleJSON: schedule.json, tags: configuration.tags)
    }

    /// The hidden layers' activation when they share one, `mixed` when they differ, `none` without hidden layers
    /// (the per-layer activations are in the architecture).
    var hiddenActivation: String {
        let names = Set(architecture.hiddenLayers.compactMap { $0.activation?.rawValue })
        return names.count == 1 ? names.first! : names.isEmpty ? "none" : "mixed"
    }

    /// SHA-256 over the features' and labels' bytes (little-endian), so a data set is the same row in any file.
    static func contentHash(of data: Dataset) -> String {
        var bytes = Data()
        data.features.withUnsafeBytes { bytes.append(contentsOf: $0) }
        data.labels.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return ContentHash.sha256Hex(bytes)
    }
}
