// `tracker run`: train one network and record it.
import ArgumentParser
import Foundation
import TrackerEngine
import TrackerExperiments
import TrackerStore

extension Activation: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
extension RecurrentInitialization: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}

/// The learning-rate schedules `--lr-schedule` takes (their settings have flags of their own).
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    case constant, step, cosine
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train a network, snapshotting hidden-layer correlations, and record the run.",
        discussion: """
            Trains an MLP, CNN or recurrent net on a bundled data set. At step 0, at log-spaced steps early on, then \
            every --snapshot-every steps, it measures the Pearson correlation between the units of every probed \
            layer on a fixed probe set of held-out samples: dense units; conv channels (each probe image's \
            spatial mean per channel); recurrent hidden units (over all time steps, and at the last one). Ctrl-C \
            stops the run, marks it interrupted and keeps what was recorded.

            --arch takes layers joined by "-": \(Architecture.grammarHelp). An activation right after a dense or \
            conv layer is that layer's activation; a layer without one is linear. The output layer is added; after \
            a recurrent layer the head reads the last hidden state. The comma form of earlier versions \
            (UNITS[:ACTIVATION], e.g. 128,64:tanh; --activation for layers without one) still works. Batch norm \
            goes between a layer and its activation (dense128-bn-relu; the probe reads the block's output after the \
            activation); dropout is active in training steps only.

            --decov WEIGHT[@LAYER,...] adds WEIGHT × DeCov (half the sum of squared off-diagonal covariances of \
            a layer's units over the mini-batch) to each step's loss; step_metrics.train_loss stays the \
            cross-entropy, and each penalty is stored in step_penalties.

            Examples:
              tracker run --data mnist-5k --arch dense256-relu-dense256-relu-dense128-relu
              tracker run --data mnist-5k --arch conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu
              tracker run --data mnist-5k --arch lstm128 --optimizer adam --lr 0.001
              tracker run --arch dense128-bn-relu-dropout0.2-dense64-relu --decov 0.1@dense1
              tracker run --arch 256,128:tanh --lr 0.02 --epochs 40 --seed 3 --tag sweep1
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(name: [.customLong("data"), .customLong("dataset")],
            help: "Data set: digits (UCI 8x8 digits) or mnist-5k (5,000 MNIST 28x28 digits).")
    var dataset = ExperimentConfiguration().dataset

    @Option(help: "Layers, e.g. dense128-relu-dense64-relu, conv16k5p2-relu-maxpool2-flatten-dense64-relu, lstm128, or 128,64.")
    var arch = ExperimentConfiguration().architecture

    @Option(name: .customLong("probe"), parsing: .upToNextOption,
            help: "Layers to snapshot, by name (e.g. conv2 dense1); default: every hidden dense, conv and recurrent layer.")
    var probes: [String] = []

    @Option(help: "Activation of comma-form layers that do not name one.")
    var activation = ExperimentConfiguration().activation

    @Option(help: "Weight initialisation.")
    var initialization = ExperimentConfiguration().initialization

    @Option(name: .customLong("recurrent-init"), help: "Initialisation of recurrent (hidden-to-hidden) weights.")
    var recurrentInitialization = ExperimentConfiguration().recurrentInitialization

    @Option(help: "Factor on every initial weight (moves the early phase).")
    var initScale = ExperimentConfiguration().initializationScale

    @Option(help: "Optimiser.")
    var optimizer = ExperimentConfiguration().optimizer

    @Option(help: "Learning rate (the schedule's base rate).")
    var lr = ExperimentConfiguration().learningRate

    @Option(help: "SGD momentum, in [0, 1).")
    var momentum = ExperimentConfiguration().momentum

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(help: "Adam's beta1.")
    var beta1 = ExperimentConfiguration().beta1

    @Option(help: "Adam's beta2.")
    var beta2 = ExperimentConfiguration().beta2

    @Option(help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW); never applied to biases.")
    var weightDecay = ExperimentConfiguration().weightDecay

    @Option(help: "Learning-rate schedule.")
    var lrSchedule: ScheduleChoice = .constant

    @Option(help: "Step schedule: steps between decays.")
    var lrStepEvery = 1000

    @Option(help: "Step schedule: factor per decay, in (0, 1].")
    var lrStepFactor = 0.1

    @Option(help: "Cosine schedule: final rate as a fraction of the base rate.")
    var lrMinFactor = 0.0

    @Option(help: "Steps of linear learning-rate warm-up.")
    var warmup = ExperimentConfiguration().warmupSteps

    @Option(help: "Clip the global gradient L2 norm to this value.")
    var clipNorm: Double?

    @Option(help: ArgumentHelp(
        "DeCov: add WEIGHT × the cross-covariance penalty of these layers' outputs to the loss (default: every probed layer).",
        valueName: "weight[@layer,...]"))
    var decov: String?

    @Option(help: "Mini-batch size.")
    var batch = ExperimentConfiguration().batchSize

    @Option(help: "Passes over the training split.")
    var epochs = ExperimentConfiguration().epochs

    @Option(help: "Seed of the split, the initialisation and the shuffling: same seed, flags and --threads, same numbers.")
    var seed = ExperimentConfiguration().seed

    @Option(help: "OpenBLAS threads (default: every core); stored with the run, as results depend on it.")
    var threads = ExperimentConfiguration().blasThreads

    @Option(help: "Steps between correlation snapshots after the log-spaced early phase.")
    var snapshotEvery = ExperimentConfiguration().snapshotEvery

    @Option(help: "Held-out samples for testing, the probe set among them (default: 360 for digits, 1000 for mnist-5k).")
    var testSamples: Int?

    @Option(help: "Probe samples on which correlations are measured (at most --test-samples).")
    var probeSamples = ExperimentConfiguration().probeSamples

    @Option(help: "A name for the run.")
    var name: String?

    @Option(name: .customLong("tag"), help: "A tag for the run (repeatable).")
    var tags: [String] = []

    @Option(help: "Summary format: table (text) or json.")
    var format: OutputFormat = .table

    /// The flag of each setting, by the hyperparameter key library errors name it with.
    static let flagBySetting = [
        "dataset": "--data", "architecture": "--arch", "probes": "--probe", "learning_rate": "--lr", "momentum": "--momentum",
        "nesterov": "--nesterov", "beta1": "--beta1", "beta2": "--beta2", "epsilon": "--optimizer",
        "weight_decay": "--weight-decay", "lr_schedule": "--lr-schedule", "warmup_steps": "--warmup",
        "gradient_clip_norm": "--clip-norm", "decov": "--decov", "batch_size": "--batch", "epochs": "--epochs",
        "init_scale": "--init-scale", "blas_threads": "--threads", "snapshot_every": "--snapshot-every",
        "test_samples": "--test-samples", "probe_samples": "--probe-samples",
    ]

    func validate() throws {
        guard format == .table || format == .json else {
            throw ValidationError("tracker run prints its summary as table or json, not \(format.rawValue)")
        }
        if let empty = tags.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--tag must not be empty ('\(empty)')")
        }
    }

    var experimentConfiguration: ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.dataset = dataset
        configuration.architecture = arch
        configuration.probes = probes.isEmpty ? nil
            : probes.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        configuration.activation = activation
        configuration.initialization = initialization
        configuration.recurrentInitialization = recurrentInitialization
        configuration.initializationScale = initScale
        configuration.optimizer = optimizer
        configuration.learningRate = lr
        configuration.momentum = momentum
        configuration.nesterov = nesterov
        configuration.beta1 = beta1
        configuration.beta2 = beta2
        configuration.weightDecay = weightDecay
        configuration.schedule = switch lrSchedule {
        case .constant: .constant
        case .step: .step(every: lrStepEvery, factor: lrStepFactor)
        case .cosine: .cosine(minimumFactor: lrMinFactor)
        }
        configuration.warmupSteps = warmup
        configuration.gradientClipNorm = clipNorm
        if let decov, let parsed = try? ExperimentConfiguration.parseDeCov(decov) {
            (configuration.decov, configuration.decovLayers) = parsed
        }
        configuration.batchSize = batch
        configuration.epochs = epochs
        configuration.seed = seed
        configuration.blasThreads = threads
        configuration.snapshotEvery = snapshotEvery
        configuration.testSamples = testSamples
        configuration.probeSamples = probeSamples
        configuration.name = name
        configuration.tags = tags
        configuration.commandLine = CommandLine.arguments.map(Self.shellQuoted).joined(separator: " ")
        return configuration
    }

    func run() throws {
        let runner: ExperimentRunner
        do {
            if let decov { _ = try ExperimentConfiguration.parseDeCov(decov) }  // its error, as one line
            runner = try ExperimentRunner(experimentConfiguration)
        } catch let error as ConfigurationError {
            // A setting the libraries refused: name the flag, exit as for any bad flag.
            let flag = error.setting.flatMap { Self.flagBySetting[$0] }
            FileHandle.standardError.write(Data("Error: \(flag.map { "\($0): " } ?? "")\(error.description)\n".utf8))
            throw ExitCode(64)
        }
        let store = try database.open(create: true)
        let interrupt = InterruptFlag()
        let progressLine = Terminal.standardOutputIsTerminal ? ProgressLine() : nil
        let outcome = try runner.run(in: store, shouldStop: { interrupt.isSet }, progress: { progress in
            progressLine?.show(Self.describe(progress))
        })
        progressLine?.clear()
        // Detect phases now, so `phases` and `compare` find them stored; a run cut short is analysed as it is.
        let phases = try PhaseAnalysis.results(for: [outcome.runID], in: store)
        print(RunSummary.render(outcome, phases: phases, format: format), terminator: "")
        if outcome.status == .interrupted { throw ExitCode(130) }
    }

    static func describe(_ progress: ExperimentProgress) -> String {
        let correlations = progress.meanAbsR.map { "\($0.layer) \($0.value.map { String(format: "%.3f", $0) } ?? "-")" }
        let rate = progress.elapsed > 0 ? Double(progress.step) / progress.elapsed : 0
        let eta = rate > 0 ? Double(progress.totalSteps - progress.step) / rate : 0
        return String(format: "step %d/%d  loss %.4f  acc %.3f  mean|r| ", progress.step, progress.totalSteps,
                      progress.loss, progress.accuracy)
            + correlations.joined(separator: ", ") + String(format: "  ETA %.0fs", eta)
    }

    static func shellQuoted(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The end-of-run summary, as text or JSON.
enum RunSummary {
    static func render(_ outcome: ExperimentOutcome, phases: [PhaseRecord], format: OutputFormat) -> String {
        /// The phase of a series named as in `outcome.layers` ("dense1", "lstm1[last_step]").
        func phase(_ series: String) -> PhaseRecord? {
            phases.first { series == $0.layerName || series == "\($0.layerName)[\($0.reduction)]" }
        }
        let uuid = outcome.uuid.uuidString.lowercased()
        if format == .json {
            func number(_ value: Double?) -> String { value.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
            let layers = outcome.layers.map { layer in
                JSONText.object([("name", JSONText.string(layer.name)), ("peak_step", "\(layer.peakStep)"),
                                 ("peak_mean_abs_r", number(layer.peakMeanAbsR)),
                                 ("final_mean_abs_r", number(layer.finalMeanAbsR)),
                                 ("phase", phase(layer.name).map { JSONText.string($0.phaseClass) } ?? "null"),
                                 ("detected_peak_step", number(phase(layer.name)?.peakStep))])
            }
            return JSONText.object([
                ("run_id", "\(outcome.runID)"), ("uuid", JSONText.string(uuid)),
                ("status", JSONText.string(outcome.status.rawValue)), ("steps", "\(outcome.steps)"),
                ("total_steps", "\(outcome.totalSteps)"), ("snapshot_steps", "\(outcome.snapshotSteps)"),
                ("test_accuracy", number(outcome.finalTest?.accuracy)), ("test_loss", number(outcome.finalTest?.loss)),
                ("train_accuracy", number(outcome.finalTrain?.accuracy)), ("wall_time", number(outcome.wallTime)),
                ("snapshot_time", number(outcome.snapshotTime)),
                ("layers", "[" + layers.joined(separator: ",") + "]"),
            ]) + "\n"
        }
        var lines = [String(format: "run %lld %@ %@: %d/%d steps in %.1f s", outcome.runID, uuid,
                            outcome.status.rawValue, outcome.steps, outcome.totalSteps, outcome.wallTime)]
        if let test = outcome.finalTest, let train = outcome.finalTrain {
            lines.append(String(format: "test accuracy %.4f (loss %.4f), train accuracy %.4f", test.accuracy, test.loss,
                                train.accuracy))
        }
        lines.append(outcome.layers.isEmpty ? "no probed layers, so no correlation snapshots"
                     : "correlation snapshots at \(outcome.snapshotSteps) steps; mean |r| per probed layer:")
        for layer in outcome.layers {
            func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
            var line = "  \(layer.name): peak \(text(layer.peakMeanAbsR)) at step \(layer.peakStep), "
                + "final \(text(layer.finalMeanAbsR))"
            if let detected = phase(layer.name) {
                line += "; phase \(detected.phaseClass)"
                if let step = detected.peakStep { line += " (peak near step \(Int(step.rounded())))" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
