// `tracker run`: train one network and record it.
import ArgumentParser
import Foundation
import TrackerDatasets
import TrackerEngine
import TrackerExperiments
import TrackerStore

extension Activation: ExpressibleByArgument {}
extension DataFileFormat: ExpressibleByArgument {}
extension CSVHeader: ExpressibleByArgument {}
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
            Trains an MLP, CNN or recurrent net on a bundled, synthetic or your own data set. At step 0, at log-spaced steps early on, then \
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

            Settings can come from a YAML file whose keys are the flags without their dashes (lr: 0.05, \
            lr-schedule: cosine, probe: [dense1]); flags given as well override it. Every run stores all its settings: \
            `tracker show RUN --config` prints them in that form, and --like RUN re-runs a run with its settings and \
            tags (not its name), changed by any flags given. --shuffle-labels trains on permuted labels (a control).

            --data takes a bundled data set (digits, mnist-5k), a synthetic one, or a file or directory. Files, \
            plain or gzip: a directory of IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-..., as \
            MNIST, Fashion-MNIST and KMNIST ship) or one images file with its labels beside it; a CIFAR-10 binary \
            directory (data_batch_1.bin ... test_batch.bin); a CSV file (--label-column, --header, --shape); x.npy \
            with --labels y.npy, or a directory of x.npy and y.npy; an .npz archive with x and y. A source's own test \
            set (t10k, test_batch, x_test/y_test) is held out, the probe set drawn from it; otherwise the run splits \
            its test set off the samples (a fifth by default). Bytes become v/255; floats and CSV numbers stay as \
            they are. Synthetic data, seeded by their own seed: \(SyntheticDataset.help).

            Examples:
              tracker run --data mnist-5k --arch dense256-relu-dense256-relu-dense128-relu
              tracker run --data mnist-5k --arch conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu
              tracker run --data mnist-5k --arch lstm128 --optimizer adam --lr 0.001
              tracker run --arch dense128-bn-relu-dropout0.2-dense64-relu --decov 0.1@dense1
              tracker run --arch 256,128:tanh --lr 0.02 --epochs 40 --seed 3 --tag sweep1
              tracker run --config run.yaml --seed 4
              tracker run --like 3 --lr 0.01
              tracker run --data fashion-mnist/ --arch dense256-relu-dense128-relu --epochs 5
              tracker run --data iris.csv --label-column species_id --header yes
              tracker run --data synthetic:sequence,steps=12,seed=2 --arch lstm32 --optimizer adam --lr 0.01
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("A YAML file of settings keyed like the flags without dashes (lr: 0.05); "
                               + "flags given as well override it.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Re-run a run (its id or uuid prefix) with its stored settings and tags; "
                               + "flags given as well change them.", valueName: "run"))
    var like: String?

    @Option(name: [.customLong("data"), .customLong("dataset")],
            help: "Data: digits, mnist-5k, synthetic:KIND[,KEY=VALUE...], or a file or directory (IDX, CIFAR-10, CSV, .npy, .npz).\(Self.byDefault("data"))")
    var dataset: String?

    @Option(help: "Format of the --data file when its content and name should not decide.")
    var dataFormat: DataFileFormat?

    @Option(help: "Labels file of a .npy features file (default: the y.npy beside an x.npy).")
    var labels: String?

    @Option(help: "CSV label column: last, first, a 1-based number, or a header name.\(Self.byDefault("label-column"))")
    var labelColumn: String?

    @Option(help: "Whether the CSV file's first line names its columns (auto: when it is not all numbers).\(Self.byDefault("header"))")
    var header: CSVHeader?

    @Option(help: "Shape of one sample, e.g. 1x28x28 (image) or 28x28 (sequence), for data stored as flat rows.")
    var shape: String?

    @Option(help: "Layers, e.g. dense128-relu-dense64-relu, conv16k5p2-relu-maxpool2-flatten-dense64-relu, lstm128, or 128,64.\(Self.byDefault("arch"))")
    var arch: String?

    @Option(name: .customLong("probe"), parsing: .upToNextOption,
            help: "Layers to snapshot, by name (e.g. conv2 dense1); default: every hidden dense, conv and recurrent layer.")
    var probes: [String] = []

    @Option(help: "Activation of comma-form layers that do not name one.\(Self.byDefault("activation"))")
    var activation: Activation?

    @Option(help: "Weight initialisation.\(Self.byDefault("initialization"))")
    var initialization: Initialization?

    @Option(name: .customLong("recurrent-init"),
            help: "Initialisation of recurrent (hidden-to-hidden) weights.\(Self.byDefault("recurrent-init"))")
    var recurrentInitialization: RecurrentInitialization?

    @Option(help: "Factor on every initial weight (moves the early phase).\(Self.byDefault("init-scale"))")
    var initScale: Double?

    @Option(help: "Optimiser.\(Self.byDefault("optimizer"))")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate (the schedule's base rate).\(Self.byDefault("lr"))")
    var lr: Double?

    @Option(help: "SGD momentum, in [0, 1).\(Self.byDefault("momentum"))")
    var momentum: Double?

    @Flag(inversion: .prefixedNo, help: "Nesterov momentum (SGD; default: off).")
    var nesterov: Bool?

    @Option(help: "Adam's beta1.\(Self.byDefault("beta1"))")
    var beta1: Double?

    @Option(help: "Adam's beta2.\(Self.byDefault("beta2"))")
    var beta2: Double?

    @Option(help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW); never applied to biases.\(Self.byDefault("weight-decay"))")
    var weightDecay: Double?

    @Option(help: "Learning-rate schedule.\(Self.byDefault("lr-schedule"))")
    var lrSchedule: ScheduleChoice?

    @Option(help: "Step schedule: steps between decays.\(Self.byDefault("lr-step-every"))")
    var lrStepEvery: Int?

    @Option(help: "Step schedule: factor per decay, in (0, 1].\(Self.byDefault("lr-step-factor"))")
    var lrStepFactor: Double?

    @Option(help: "Cosine schedule: final rate as a fraction of the base rate.\(Self.byDefault("lr-min-factor"))")
    var lrMinFactor: Double?

    @Option(help: "Steps of linear learning-rate warm-up.\(Self.byDefault("warmup"))")
    var warmup: Int?

    @Option(help: "Clip the global gradient L2 norm to this value.")
    var clipNorm: Double?

    @Option(help: ArgumentHelp(
        "DeCov: add WEIGHT × the cross-covariance penalty of these layers' outputs to the loss (default: every probed layer).",
        valueName: "weight[@layer,...]"))
    var decov: String?

    @Option(help: "Mini-batch size.\(Self.byDefault("batch"))")
    var batch: Int?

    @Option(help: "Passes over the training split.\(Self.byDefault("epochs"))")
    var epochs: Int?

    @Option(help: "Seed of the split, the initialisation and the shuffling: same seed, flags and --threads, same numbers.\(Self.byDefault("seed"))")
    var seed: UInt64?

    @Option(help: "Threads for OpenBLAS and for splitting batches in the layers (default: every core); stored with the run, as results depend on it.")
    var threads: Int?

    @Option(help: "Steps between correlation snapshots after the log-spaced early phase.\(Self.byDefault("snapshot-every"))")
    var snapshotEvery: Int?

    @Option(help: "Held-out samples for testing, the probe set among them (default: the data's own test set, else 360 for digits, 1000 for mnist-5k, a fifth of other data).")
    var testSamples: Int?

    @Option(help: "Probe samples on which correlations are measured (at most --test-samples).\(Self.byDefault("probe-samples"))")
    var probeSamples: Int?

    @Flag(inversion: .prefixedNo,
          help: ArgumentHelp("Train on the training labels permuted by the seed (a control: only memorising is "
                             + "possible; test labels stay true; default: off)."))
    var shuffleLabels: Bool?

    @Option(help: ArgumentHelp(
        "Snapshot statistics: default, all, or names separated by commas (default,effective_rank); "
            + "tracker statistics lists them with their cost.", valueName: "default|all|list"))
    var statistics: String?

    @Option(help: ArgumentHelp(
        "Keep the correlation matrix of every probe point at every EVERY-th snapshot (0: never; a matrix of D units "
            + "takes 2·D·(D−1) bytes, at most \(ExperimentRunner.largestStoredMatrixBytes >> 20) MiB).",
        valueName: "every"))
    var storeMatrices: Int?

    @Option(help: "A name for the run.")
    var name: String?

    @Option(name: .customLong("tag"), help: "A tag for the run (repeatable; replaces the tags of --like or --config).")
    var tags: [String] = []

    @Option(help: "Summary format: table (text) or json.")
    var format: OutputFormat = .table

    /// " (default: 0.05)": a setting's default, for the help of an option that is optional so that only the flags
    /// given override a configuration file.
    static func byDefault(_ key: String) -> String {
        guard let value = ExperimentConfiguration.setting(key)?.value(in: ExperimentConfiguration()) else { return "" }
        return switch value {
        case .scalar(let text): " (default: \(text))"
        case .null, .list: ""
        }
    }

    func validate() throws {
        guard format == .table || format == .json else {
            throw ValidationError("tracker run prints its summary as table or json, not \(format.rawValue)")
        }
        if let empty = tags.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--tag must not be empty ('\(empty)')")
        }
    }

    /// The settings given as flags, keyed as in configuration files (flags not given are absent, so they override
    /// nothing).
    var flagSettings: [GivenSetting] {
        func text(_ value: (some LosslessStringConvertible)?) -> SettingValue? { value.map { .scalar(String($0)) } }
        func text<Choice: RawRepresentable<String>>(_ value: Choice?) -> SettingValue? {
            value.map { .scalar($0.rawValue) }
        }
        let values: [(String, SettingValue?)] = [
            ("data", text(dataset)), ("data-format", text(dataFormat)), ("labels", text(labels)),
            ("label-column", text(labelColumn)), ("header", text(header)), ("shape", text(shape)),
            ("arch", text(arch)), ("probe", probes.isEmpty ? nil : .list(probes)),
            ("activation", text(activation)), ("initialization", text(initialization)),
            ("recurrent-init", text(recurrentInitialization)), ("init-scale", text(initScale)),
            ("optimizer", text(optimizer)), ("lr", text(lr)), ("momentum", text(momentum)),
            ("nesterov", text(nesterov)), ("beta1", text(beta1)), ("beta2", text(beta2)),
            ("weight-decay", text(weightDecay)), ("lr-schedule", text(lrSchedule)),
            ("lr-step-every", text(lrStepEvery)), ("lr-step-factor", text(lrStepFactor)),
            ("lr-min-factor", text(lrMinFactor)), ("warmup", text(warmup)), ("clip-norm", text(clipNorm)),
            ("decov", text(decov)),
            ("batch", text(batch)), ("epochs", text(epochs)), ("seed", text(seed)), ("threads", text(threads)),
            ("snapshot-every", text(snapshotEvery)), ("test-samples", text(testSamples)),
            ("probe-samples", text(probeSamples)), ("shuffle-labels", text(shuffleLabels)), ("statistics", text(statistics)),
            ("store-matrices", text(storeMatrices)), ("name", text(name)),
            ("tag", tags.isEmpty ? nil : .list(tags)),
        ]
        return values.compactMap { key, value in value.map { GivenSetting(key: key, value: $0, origin: .commandLine) } }
    }

    /// The run's configuration: the defaults, then the run of `--like` (settings and tags), then `--config`'s file,
    /// then the flags given.
    ///
    /// - Parameter stored: The `--like` run's stored configuration, read by the caller.
    func experimentConfiguration(like stored: StoredRunConfiguration? = nil, file: [GivenSetting] = []) throws
        -> (ExperimentConfiguration, [GivenSetting]) {
        var given: [GivenSetting] = []
        if let stored {
            let source = "run \(stored.runID)'s configuration"
            guard let text = stored.configuration else {
                throw CommandFailure("run \(stored.runID) was recorded by tracker \(stored.trackerVersion), before runs "
                                     + "stored their configuration, so --like cannot re-run it; repeat its command "
                                     + "line (tracker show \(stored.runID) prints it)")
            }
            given += try ConfigurationFile.settings(fromYAML: text, source: source)
            given.append(GivenSetting(key: "tag", value: .list(stored.tags), origin: .text(source: source, line: nil)))
        }
        given += file + flagSettings
        var configuration = try ExperimentConfiguration(given)
        configuration.commandLine = CommandLine.arguments.map(Self.shellQuoted).joined(separator: " ")
        return (configuration, given)
    }

    func run() throws {
        // Configuration errors (a bad file, a refused setting) exit 64 before the database is written.
        if let decov {
            do { _ = try ExperimentConfiguration.parseDeCov(decov) } catch { throw usageFailure("--decov: \(error)") }
        }
        var file: [GivenSetting] = []
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw usageFailure("--config: cannot read \(config)")
            }
            file = try Self.usage {
                try ConfigurationFile.settings(fromYAML: String(decoding: data, as: UTF8.self), source: config)
            }
        }
        var store: TrackerDatabase?
        var stored: StoredRunConfiguration?
        if let like {
            let opened = try database.open(create: false)
            stored = try opened.storedConfiguration(of: try opened.resolveRun(like))
            store = opened
        }
        let (configuration, given) = try Self.usage { try experimentConfiguration(like: stored, file: file) }
        let runner: ExperimentRunner
        do {
            runner = try ExperimentRunner(configuration)
            runner.stopsIdleBLASThreads = true  // one run per process: nothing else calls BLAS
        } catch let error as ConfigurationError {
            // A setting the libraries refused: name where it was given (a flag by default), exit as for a bad flag.
            let place = error.setting.flatMap { ExperimentConfiguration.setting(errorName: $0) }.map { setting in
                switch given.last(where: { $0.key == setting.key })?.origin {
                case .text(let source, let line)?: "\(source)\(line.map { ":\($0)" } ?? ""): \(setting.key)"
                case .commandLine?, nil: "--" + setting.key
                }
            }
            FileHandle.standardError.write(Data("Error: \(place.map { "\($0): " } ?? "")\(error.description)\n".utf8))
            throw ExitCode(64)
        }
        let database = try store ?? database.open(create: true)
        let interrupt = InterruptFlag()
        let progressLine = Terminal.standardOutputIsTerminal ? ProgressLine() : nil
        let outcome = try runner.run(in: database, shouldStop: { interrupt.isSet }, progress: { progress in
            progressLine?.show(Self.describe(progress))
        })
        progressLine?.clear()
        // Detect phases now, so `phases` and `compare` find them stored; a run cut short is analysed as it is.
        let phases = try PhaseAnalysis.results(for: [outcome.runID], in: database)
        print(RunSummary.render(outcome, phases: phases, format: format), terminator: "")
        if outcome.status == .interrupted { throw ExitCode(130) }
    }

    /// Runs `body`, turning a ``SettingError`` into one line on stderr and exit 64 (a flag's error names the flag).
    static func usage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SettingError {
            if error.origin == .commandLine, let key = error.key, error.message.hasPrefix("\(key): ") {
                throw usageFailure("--" + error.message)
            }
            throw usageFailure(error.description)
        }
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
                ("background_snapshot_time", number(outcome.backgroundSnapshotTime)),
                ("matrix_bytes", JSONText.object(outcome.matrixBytes.map { ($0.name, "\($0.bytes)") })),
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
        if !outcome.matrixBytes.isEmpty {
            lines.append("correlation matrices stored, each: " + outcome.matrixBytes.map {
                "\($0.name) \(ByteCountFormatter.string(fromByteCount: Int64($0.bytes), countStyle: .binary))"
            }.joined(separator: ", "))
        }
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
