// One experiment end to end: load data, train, snapshot probe-point correlations, and store everything.
import Foundation
import TrackerAnalysis
import TrackerDatasets
import TrackerEngine
import TrackerNumerics
import TrackerStore

/// Where a run stands, reported to the caller while it trains (for a live progress line).
public struct ExperimentProgress: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let epoch: Int
    public let loss: Double
    public let accuracy: Double
    /// The latest mean |r| of each snapshot series (nil before the first snapshot or when undefined).
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
    /// Per snapshot series ("dense1", "lstm1[time_pooled]"): the last mean |r| and the step at which it peaked.
    public let layers: [(name: String, peakStep: Int, peakMeanAbsR: Double?, finalMeanAbsR: Double?)]
    public let wallTime: Double
    /// Seconds the training thread spent on snapshots, part of `wallTime`: probe forward passes and correlation
    /// statistics, or, when the statistics run on a thread of their own, the forward passes, recording, and any
    /// wait for the thread.
    public let snapshotTime: Double
    /// Seconds the statistics took on their own thread, beside the training (0 when they ran on the training
    /// thread): CPU time on another core, not part of `wallTime`.
    public let backgroundSnapshotTime: Double
    /// With `--store-matrices`: the bytes each stored matrix of a snapshot series takes (2 · D(D − 1)).
    public let matrixBytes: [(name: String, bytes: Int)]
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
    /// The data path or synthetic name as given; nil for a bundled data set.
    let dataPath: String?
    let trainer: Trainer
    /// The layers DeCov penalises (empty when it is off), resolved from the configuration.
    let decovLayers: [String]
    /// The uuid the run will be stored under.
    let runUUID = UUID()
    /// The sweep that starts this run, linked to it when it is inserted; nil for a run of its own.
    public var sweepMembership: SweepMembership?
    /// Whether ``run(in:shouldStop:progress:)`` may end OpenBLAS's own threads when the network has workers of its
    /// own (see ``BLAS/stopIdleThreads()``). Set it only where nothing else in the process calls BLAS at the same
    /// time, as in a `tracker run` process: ending them under another thread's threaded call is not safe.
    public var stopsIdleBLASThreads = false
    /// Whether snapshot statistics may go to a thread of their own (see ``train``); off only in tests: that both
    /// ways store the same numbers, and what a running run has stored by a given step.
    var snapshotsMayRunInBackground = true
    private var hasRun = false

    /// The stream of the run's seed that permutes the training labels under `shuffleLabels` ("labels").
    static let labelShuffleStream: UInt64 = 0x6C61_6265_6C73

    /// The largest correlation matrix `--store-matrices` keeps: 64 MiB (D ≤ 5793 units).
    public static let largestStoredMatrixBytes = 64 << 20

    /// Rows buffered before the recorder writes them in one transaction, and the longest a row waits.
    static let flushRows = 2048
    static let flushSeconds = 2.0

    /// Validates the configuration, loads and splits the data and builds the network.
    ///
    /// - Throws: ``ConfigurationError`` naming the setting at fault (by its hyperparameter key).
    public init(_ configuration: ExperimentConfiguration) throws {
        self.configuration = configuration
        let loaded: LoadedData
        do {
            loaded = try DataSource.load(configuration.dataset, options: DataFileOptions(
                format: configuration.dataFormat, labelsPath: configuration.labelsPath,
                labelColumn: configuration.labelColumn, header: configuration.csvHeader,
                sampleShape: configuration.sampleShape))
        } catch {
            throw ConfigurationError(error.description, setting: error.setting ?? "dataset")
        }
        let data = loaded.samples
        let testSamples: Int
        if let heldOut = loaded.heldOut {
            testSamples = configuration.testSamples ?? heldOut.count
            guard testSamples >= 1, testSamples <= heldOut.count else {
                throw ConfigurationError("test samples must be between 1 and \(heldOut.count) (the held-out samples of "
                                         + "'\(loaded.name)'), got \(testSamples)", setting: "test_samples")
            }
        } else {
            testSamples = configuration.testSamples ?? loaded.defaultTestSamples
            guard testSamples >= 1, testSamples < data.count else {
                throw ConfigurationError("test samples must be between 1 and \(data.count - 1) for '\(loaded.name)', "
                                         + "got \(testSamples)", setting: "test_samples")
            }
        }
        guard configuration.probeSamples >= 2, configuration.probeSamples <= testSamples else {
            throw ConfigurationError("probe samples must be between 2 and the test samples (\(testSamples)), got "
                                     + "\(configuration.probeSamples)", setting: "probe_samples")
        }
        guard configuration.snapshotEvery >= 1 else {
            throw ConfigurationError("snapshot interval must be at least 1 step, got \(configuration.snapshotEvery)",
                                     setting: "snapshot_every")
        }
        guard (1...256).contains(configuration.blasThreads) else {
            throw ConfigurationError("BLAS threads must be between 1 and 256, got \(configuration.blasThreads)",
                                     setting: "blas_threads")
        }
        var parsed: Architecture
        do {
            parsed = try Architecture.parse(configuration.architecture, inputShape: data.sampleShape,
                                            outputSize: data.classCount, defaultActivation: configuration.activation)
        } catch {
            // A layer that cannot take its input: say what the data's samples are, beside the architecture.
            let context = error.description.contains(" input") && !error.description.contains("\(data.sampleShape) input")
                ? " (the samples of '\(loaded.name)' have shape \(data.sampleShape))" : ""
            throw ConfigurationError(error.description + context, setting: "architecture")
        }
        parsed.probes = configuration.probes
        do {
            try parsed.validate()
        } catch {
            throw ConfigurationError(error.description, setting: "probes")
        }
        architecture = parsed
        if let problem = Trainer.shapeProblem(of: data, for: architecture) {
            throw ConfigurationError(problem, setting: "architecture")
        }
        guard configuration.decov >= 0, configuration.decov.isFinite else {
            throw ConfigurationError("DeCov weight must be a finite number ≥ 0, got \(configuration.decov)",
                                     setting: "decov")
        }
        if configuration.decov > 0 {
            let names = architecture.layerNames
            decovLayers = configuration.decovLayers.isEmpty ? architecture.probedLayerIndices.map { names[$0] }
                : configuration.decovLayers
            if decovLayers.isEmpty {
                throw ConfigurationError("DeCov has no layer to penalise: architecture \(architecture.summary) has no "
                                         + "probed layer", setting: "decov")
            }
        } else {
            decovLayers = []
        }
        let heldOut: DatasetSplit
        if let sourceTest = loaded.heldOut {
            // The source's own test set: a seeded choice of `testSamples` of it, the probe set their first samples.
            let chosen = sourceTest.split(testCount: testSamples, probeCount: configuration.probeSamples,
                                          seed: configuration.seed)
            heldOut = DatasetSplit(train: data, test: chosen.test, probe: chosen.probe)
        } else {
            heldOut = data.split(testCount: testSamples, probeCount: configuration.probeSamples, seed: configuration.seed)
        }
        // Only the training labels are shuffled: test accuracy then measures what generalises (chance), and the
        // probe set's activations never depend on labels.
        split = configuration.shuffleLabels
            ? DatasetSplit(train: heldOut.train.shufflingLabels(seed: SeededGenerator.mix(configuration.seed,
                                                                                          Self.labelShuffleStream)),
                           test: heldOut.test, probe: heldOut.probe)
            : heldOut
        let options = TrainingOptions(
            learningRate: Float(configuration.learningRate),
            optimizer: OptimizerSettings(kind: configuration.optimizer, momentum: Float(configuration.momentum),
                                         nesterov: configuration.nesterov, beta1: Float(configuration.beta1),
                                         beta2: Float(configuration.beta2),
                                         weightDecay: Float(configuration.weightDecay)),
            schedule: configuration.schedule, warmupSteps: configuration.warmupSteps,
            gradientClipNorm: configuration.gradientClipNorm, batchSize: configuration.batchSize,
            epochs: configuration.epochs, seed: configuration.seed,
            initialization: InitializationOptions(scheme: configuration.initialization,
                                                  recurrent: configuration.recurrentInitialization,
                                                  scale: configuration.initializationScale))
        do {
            trainer = try Trainer(architecture: architecture, options: options, training: split.train,
                                  regularizers: decovLayers.map { DeCovRegularizer(layer: $0, weight: configuration.decov) },
                                  threads: configuration.blasThreads)
        } catch {
            throw ConfigurationError(error.description, setting: error.setting)
        }
        guard configuration.storeMatrices >= 0 else {
            throw ConfigurationError("the matrix interval must be 0 (never) or a number of snapshots ≥ 1, got "
                                     + "\(configuration.storeMatrices)", setting: "store_matrices")
        }
        if configuration.storeMatrices > 0 {
            for point in trainer.network.probePoints {
                let bytes = Self.matrixBytes(units: point.units)
                guard bytes <= Self.largestStoredMatrixBytes else {
                    throw ConfigurationError(
                        "the correlation matrix of \(point.name) (\(point.units) units) takes \(bytes >> 20) MiB, above "
                            + "the \(Self.largestStoredMatrixBytes >> 20) MiB that stored matrices may take",
                        setting: "store_matrices")
                }
            }
        }
        schedule = SnapshotSchedule(every: configuration.snapshotEvery, pointsPerDecade: configuration.snapshotsPerDecade,
                                    totalSteps: trainer.totalSteps)
        datasetDescription = DatasetDescription(
            name: loaded.name, source: loaded.source, sampleCount: data.count + (loaded.heldOut?.count ?? 0),
            featureCount: data.featureCount, classCount: data.classCount,
            contentHash: Self.contentHash(of: data, heldOut: loaded.heldOut),
            sampleShape: data.sampleShape.asciiDescription, testSampleCount: loaded.heldOut?.count ?? 0)
        dataPath = loaded.path
    }

    /// Trains, snapshots and records the run, with OpenBLAS on `configuration.blasThreads` threads.
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
        BLAS.setThreadCount(configuration.blasThreads)
        // With workers, every BLAS call of the run is single-threaded: OpenBLAS's own threads would only spin.
        if stopsIdleBLASThreads, trainer.network.workers != nil { BLAS.stopIdleThreads() }
        let recorder = try database.beginRun(runDescription(),
                                             statisticColumns: Self.statisticColumns(configuration.statistics))
        do {
            return try train(recorder: recorder, shouldStop: shouldStop, progress: progress)
        } catch {
            try? recorder.finish(.failed, errorMessage: "\(error)")
            throw error
        }
    }

    /// The snapshot series of this run, in the order ``Trainer/probeActivations(_:)`` returns them: the probe point's
    /// name, with the reduction in brackets when a point has several ("lstm1[time_pooled]", "lstm1[last_step]").
    public var seriesNames: [String] {
        trainer.network.probePoints.flatMap { point in
            point.reductions.map { point.reductions.count == 1 ? point.name : "\(point.name)[\($0.rawValue)]" }
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
        let series = seriesNames
        let penaltyNames = trainer.regularizerNames
        let scheduled = Set(schedule.steps())
        let workspace = StatisticsWorkspace(selection: configuration.statistics, workers: trainer.network.workers)
        let statisticColumns = Self.statisticColumns(configuration.statistics)
        let statisticIndices = statisticColumns.map { name in SnapshotStatistic.all.firstIndex { $0.name == name }! }
        var rowLabels: [Int: [Int32]] = [:]  // the probe labels per row count (time_pooled repeats each sample's)
        var latest: [Double?] = Array(repeating: nil, count: series.count)
        var peaks: [(step: Int, value: Double?)] = Array(repeating: (0, nil), count: series.count)
        var snapshotSteps = 0
        var snapshotTime = 0.0
        var lastFlush = 0.0
        var lastProgress = -1.0

        // The statistics of a snapshot go to a thread of their own when the training steps leave a core idle:
        // the run has worker threads (so more than one core is meant for it) but its first step split no work
        // over them. Decided once, from the architecture, batch and thread count alone, so the same run always
        // decides the same way. Snapshot 0, taken before that step, is computed here.
        var snapshotThread: SnapshotThread?
        var backgroundTime = 0.0
        // Snapshot 0's activations (for the size of those to come) and whether its probe pass split work over the
        // workers (then the snapshot thread, whose network has none, could sum differently: it is not used).
        var firstProbe: [ProbeActivations] = []
        var probeSplit = false
        // Snapshot 0's activations, whose statistics wait for the first step's decision.
        var deferred: SnapshotThread.Job?

        func labels(rows: Int) -> [Int32] {
            if let labels = rowLabels[rows] { return labels }
            let labels = Self.rowLabels(split.probe.labels, rows: rows)
            rowLabels[rows] = labels
            return labels
        }
        func record(step: Int, index: Int, activations: ProbeActivations, computed: SnapshotStatisticValues,
                    upperTriangle: [Float]?) {
            let summary = computed.summary
            recorder.record(snapshot: SnapshotRow(
                step: step, layerIndex: activations.layerIndex, reduction: activations.reduction.rawValue,
                probeSamples: summary.samples, units: summary.units, deadUnits: summary.deadUnits,
                nonFiniteUnits: summary.nonFiniteUnits, pairCount: summary.pairCount,
                meanAbsR: summary.meanAbsR, meanR: summary.meanR,
                statistics: statisticIndices.map { computed.values[$0] },
                histogram: computed.histogram.map(CorrelationHistogram.encode)))
            if let upperTriangle {
                recorder.record(matrix: CorrelationMatrixRow(
                    step: step, layerIndex: activations.layerIndex, reduction: activations.reduction.rawValue,
                    units: activations.units, upperTriangle: upperTriangle))
            }
            latest[index] = summary.meanAbsR
            if let value = summary.meanAbsR, value > (peaks[index].value ?? -1) { peaks[index] = (step, value) }
        }
        func recordBackground(_ results: SnapshotThread.Results) {
            backgroundTime += results.seconds
            for (index, activations) in results.activations.enumerated() {
                record(step: results.job.step, index: index, activations: activations,
                       computed: results.values[index], upperTriangle: results.upperTriangles[index])
            }
        }
        func snapshot(at step: Int) {
            let started = elapsed()
            defer { snapshotTime += elapsed() - started }
            let keepsMatrices = configuration.storeMatrices > 0 && snapshotSteps % configuration.storeMatrices == 0
            if let snapshotThread {
                snapshotThread.collectFinished().forEach(recordBackground)
                let parameters = trainer.network.parameters
                let bytes = SnapshotThread.bytes(parameters: parameters.count, activations: firstProbe)
                while !snapshotThread.hasRoom(for: bytes), let oldest = snapshotThread.collectOldest() {
                    recordBackground(oldest)
                }
                snapshotThread.submit(SnapshotThread.Job(step: step, parameters: Array(parameters),
                                                         keepsMatrices: keepsMatrices), bytes: bytes)
            } else {
                let sectionsBefore = trainer.network.workers?.sectionCount ?? 0
                let probed = trainer.probeActivations(split.probe)
                if firstProbe.isEmpty {
                    firstProbe = probed
                    probeSplit = (trainer.network.workers?.sectionCount ?? 0) != sectionsBefore
                    // The first snapshot's statistics wait for the first step, which decides where they go.
                    if snapshotsMayRunInBackground, trainer.network.workers != nil, !probeSplit {
                        deferred = SnapshotThread.Job(step: step, parameters: [], keepsMatrices: keepsMatrices,
                                                      activations: probed)
                        snapshotSteps += 1
                        return
                    }
                }
                computeAndRecord(step: step, probed: probed, keepsMatrices: keepsMatrices)
            }
            snapshotSteps += 1
        }
        func computeAndRecord(step: Int, probed: [ProbeActivations], keepsMatrices: Bool) {
            for (index, activations) in probed.enumerated() {
                let rows = labels(rows: activations.samples)
                let computed = activations.values.withUnsafeBufferPointer { values in
                    rows.withUnsafeBufferPointer { rows in
                        workspace.compute(values, samples: activations.samples, units: activations.units,
                                          labels: rows.isEmpty ? nil : rows, series: index)
                    }
                }
                record(step: step, index: index, activations: activations, computed: computed,
                       upperTriangle: keepsMatrices ? workspace.lastUpperTriangle() : nil)
            }
        }
        /// The deferred first snapshot, computed here (when no snapshot thread took it).
        func computeDeferred() {
            guard let job = deferred, let probed = job.activations else { return }
            deferred = nil
            let started = elapsed()
            computeAndRecord(step: job.step, probed: probed, keepsMatrices: job.keepsMatrices)
            snapshotTime += elapsed() - started
        }
        func report(_ result: StepResult, elapsed: Double) {
            progress(ExperimentProgress(
                step: result.step, totalSteps: trainer.totalSteps, epoch: result.epoch, loss: Double(result.loss),
                accuracy: Double(result.accuracy), meanAbsR: Array(zip(series, latest)), elapsed: elapsed))
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
            let sectionsBefore = trainer.network.workers?.sectionCount ?? 0
            let result = trainer.step()
            if last == nil, snapshotsMayRunInBackground, !probeSplit, let workers = trainer.network.workers,
               workers.sectionCount == sectionsBefore, let prober = try? Trainer(
                   architecture: architecture, options: trainer.options, training: split.train, threads: 1) {
                workspace.workers = nil
                let probeLabels = split.probe.labels
                let thread = SnapshotThread(workspace: workspace, prober: prober, probe: split.probe,
                                            rowLabels: { Self.rowLabels(probeLabels, rows: $0) })
                if let job = deferred {
                    deferred = nil
                    thread.submit(job, bytes: SnapshotThread.bytes(parameters: 0, activations: firstProbe))
                }
                snapshotThread = thread
            }
            computeDeferred()
            last = result
            let now = elapsed()
            recorder.record(step: StepMetricsRow(
                step: result.step, epoch: result.epoch, trainLoss: Double(result.loss),
                trainAccuracy: Double(result.accuracy), learningRate: Double(result.learningRate), wallTime: now,
                gradientNorm: result.gradientNorm, penalty: result.penalty))
            for (index, name) in penaltyNames.enumerated() {
                recorder.record(penalty: StepPenaltyRow(step: result.step, name: name,
                                                        value: trainer.penalty(ofRegularizer: index)))
            }
            if scheduled.contains(result.step) { snapshot(at: result.step) }
            let endOfEpoch = result.step % trainer.stepsPerEpoch == 0 && result.step < trainer.totalSteps
            if endOfEpoch { _ = evaluate(at: result.step, splits: [("test", split.test)]) }
            if endOfEpoch || recorder.pendingRows >= Self.flushRows || now - lastFlush >= Self.flushSeconds {
                // Snapshots the thread has finished go into this commit too, not only at the next snapshot.
                snapshotThread?.collectFinished().forEach(recordBackground)
                try recorder.flush()
                lastFlush = now
            }
            if now - lastProgress >= 0.1 {
                lastProgress = now
                report(result, elapsed: now)
            }
        }
        computeDeferred()  // no step was taken
        if let snapshotThread {
            let started = elapsed()
            while let results = snapshotThread.collectOldest() { recordBackground(results) }
            snapshotThread.stop()
            snapshotTime += elapsed() - started
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
            layers: series.indices.map { (series[$0], peaks[$0].step, peaks[$0].value, latest[$0]) },
            wallTime: elapsed(), snapshotTime: snapshotTime, backgroundSnapshotTime: backgroundTime,
            matrixBytes: configuration.storeMatrices > 0
                ? zip(series, trainer.network.probePoints.flatMap { point in point.reductions.map { _ in point.units } }).map { ($0, Self.matrixBytes(units: $1)) } : [])
    }

    /// The `snapshots` columns a selection fills beyond `mean_abs_r` and `mean_r` (its scalar statistics).
    static func statisticColumns(_ selection: StatisticSelection) -> [String] {
        selection.statistics.filter { $0.kind == .scalar && !RunRecorder.baseStatisticColumns.contains($0.name) }
            .map(\.name)
    }

    /// The bytes of one stored correlation matrix of `units` units: D(D − 1)/2 float32 values.
    public static func matrixBytes(units: Int) -> Int { 2 * units * (units - 1) }

    /// The class of each row of a probe activation matrix: the probe labels, each repeated for its time steps when
    /// the rows are (sample, time step) pairs, sample-major (`time_pooled`); empty when the rows do not divide.
    static func rowLabels(_ labels: [Int32], rows: Int) -> [Int32] {
        guard !labels.isEmpty, rows % labels.count == 0 else { return [] }
        let repeats = rows / labels.count
        return repeats == 1 ? labels : labels.flatMap { Array(repeating: $0, count: repeats) }
    }

    /// What the store records about this run before it trains.
    func runDescription() throws -> RunDescription {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let spec = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        let shapes = try architecture.outputShapes()
        let names = architecture.layerNames
        let probed = Set(architecture.probedLayerIndices)
        let layers = architecture.layers.enumerated().map { index, layer in
            LayerDescription(index: index, name: names[index], kind: layer.kind.rawValue,
                             units: architecture.units(ofLayer: index, outputShape: shapes[index]),
                             activation: layer.activation?.rawValue,
                             isHidden: index < architecture.layers.count - 1, isProbed: probed.contains(index))
        }
        return RunDescription(
            uuid: runUUID, name: configuration.name, seed: Int64(bitPattern: configuration.seed),
            host: ProcessInfo.processInfo.hostName, commandLine: configuration.commandLine,
            architecture: ArchitectureDescription(
                specJSON: spec, summary: architecture.summary, inputSize: architecture.inputSize,
                outputSize: architecture.outputSize, parameterCount: architecture.parameterCount, layers: layers),
            hyperparameters: hyperparameters, dataset: datasetDescription, trainSamples: split.train.count,
            testSamples: split.test.count, probeSamples: split.probe.count, totalSteps: trainer.totalSteps,
            snapshotScheduleJSON: schedule.json, tags: configuration.tags, blasThreads: configuration.blasThreads,
            configuration: ConfigurationFile.yaml(for: configuration), dataPath: dataPath, sweep: sweepMembership)
    }

    /// The run's hyperparameters as stored: every setting that shapes training, with the optimiser's and the
    /// schedule's own settings only for the optimiser and schedule in use.
    var hyperparameters: [String: HyperparameterValue] {
        var values: [String: HyperparameterValue] = [
            "learning_rate": .real(configuration.learningRate),
            "optimizer": .text(configuration.optimizer.rawValue),
            "weight_decay": .real(configuration.weightDecay),
            "lr_schedule": .text(configuration.schedule.name),
            "warmup_steps": .integer(Int64(configuration.warmupSteps)),
            "batch_size": .integer(Int64(configuration.batchSize)),
            "epochs": .integer(Int64(configuration.epochs)),
            "loss": .text("softmax_cross_entropy"),
            "initialization": .text(configuration.initialization.rawValue),
            "init_scale": .real(configuration.initializationScale),
            "activation": .text(hiddenActivation),
            "snapshot_every": .integer(Int64(configuration.snapshotEvery)),
            "snapshots_per_decade": .integer(Int64(configuration.snapshotsPerDecade)),
            "test_samples": .integer(Int64(split.test.count)),
            "probe_samples": .integer(Int64(split.probe.count)),
        ]
        switch configuration.optimizer {
        case .sgd:
            values["momentum"] = .real(configuration.momentum)
            values["nesterov"] = .integer(configuration.nesterov ? 1 : 0)
        case .adam, .adamw:
            values["beta1"] = .real(configuration.beta1)
            values["beta2"] = .real(configuration.beta2)
        }
        switch configuration.schedule {
        case .constant: break
        case .step(let every, let factor):
            values["lr_step_every"] = .integer(Int64(every))
            values["lr_step_factor"] = .real(factor)
        case .cosine(let minimumFactor):
            values["lr_minimum_factor"] = .real(minimumFactor)
        }
        if let clip = configuration.gradientClipNorm { values["gradient_clip_norm"] = .real(clip) }
        if !decovLayers.isEmpty {
            values["decov"] = .real(configuration.decov)
            values["decov_layers"] = .text(decovLayers.joined(separator: ","))
        }
        if configuration.shuffleLabels { values["shuffle_labels"] = .integer(1) }
        if architecture.layers.contains(where: { $0.kind.isRecurrent }) {
            values["recurrent_initialization"] = .text(configuration.recurrentInitialization.rawValue)
        }
        return values
    }

    /// The hidden layers' activation when they share one, `mixed` when they differ, `none` without any (recurrent
    /// layers count as tanh; the per-layer activations are in the architecture).
    var hiddenActivation: String {
        let names = Set(architecture.layers.dropLast().compactMap {
            $0.kind.isRecurrent ? "tanh" : $0.activation?.rawValue
        })
        return names.count == 1 ? names.first! : names.isEmpty ? "none" : "mixed"
    }

    /// SHA-256 of the decoded content: the line `tracker-dataset SHAPE classes K samples N held-out M` and a line
    /// feed, then the samples' features (Float32) and labels (Int32), then the held-out set's, all little-endian.
    /// So the same data are one row wherever their files lie and whatever their encoding (plain or gzip, uint8 or
    /// the same values as float32), while another shape, class count or train/test division is another row.
    public static func contentHash(of data: Dataset, heldOut: Dataset?) -> String {
        var hasher = ContentHasher()
        hasher.update("tracker-dataset \(data.sampleShape.asciiDescription) classes \(data.classCount) samples "
                      + "\(data.count) held-out \(heldOut?.count ?? 0)\n")
        for part in [data] + (heldOut.map { [$0] } ?? []) {
            part.features.withUnsafeBytes { hasher.update($0) }
            part.labels.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalizeHex()
    }
}
