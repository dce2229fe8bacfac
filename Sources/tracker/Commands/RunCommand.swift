// `tracker run`: train one network and record it.
import ArgumentParser
import Foundation
import TrackerEngine
import TrackerExperiments
import TrackerStore

extension Activation: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train a network, snapshotting hidden-layer correlations, and record the run.",
        discussion: """
            Trains an MLP on the bundled UCI digits with SGD and momentum. At step 0, at log-spaced steps \
            early on, then every --snapshot-every steps, it measures the Pearson correlation between the \
            units of every hidden layer on a fixed probe set of held-out samples. Ctrl-C stops the run, \
            marks it interrupted and keeps what was recorded.

            Example: tracker run --arch 256,128:tanh --lr 0.02 --epochs 40 --seed 3 --tag sweep1
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Hidden layers: comma-separated UNITS[:ACTIVATION], e.g. 128,64 or 256:tanh,64. Empty for none.")
    var arch = ExperimentConfiguration().architecture

    @Option(help: "Activation of hidden layers that do not name one.")
    var activation = ExperimentConfiguration().activation

    @Option(help: "Weight initialisation.")
    var initialization = ExperimentConfiguration().initialization

    @Option(help: "SGD learning rate.")
    var lr = ExperimentConfiguration().learningRate

    @Option(help: "SGD momentum, in [0, 1).")
    var momentum = ExperimentConfiguration().momentum

    @Option(help: "Mini-batch size.")
    var batch = ExperimentConfiguration().batchSize

    @Option(help: "Passes over the training split.")
    var epochs = ExperimentConfiguration().epochs

    @Option(help: "Seed of the split, the initialisation and the shuffling: same seed and flags, same numbers.")
    var seed = ExperimentConfiguration().seed

    @Option(help: "Steps between correlation snapshots after the log-spaced early phase.")
    var snapshotEvery = ExperimentConfiguration().snapshotEvery

    @Option(help: "Held-out samples for testing; the probe set is taken from them.")
    var testSamples = ExperimentConfiguration().testSamples

    @Option(help: "Probe samples on which correlations are measured (at most --test-samples).")
    var probeSamples = ExperimentConfiguration().probeSamples

    @Option(help: "Data set: digits (the bundled UCI 8x8 handwritten digits).")
    var dataset = ExperimentConfiguration().dataset

    @Option(help: "A name for the run.")
    var name: String?

    @Option(name: .customLong("tag"), help: "A tag for the run (repeatable).")
    var tags: [String] = []

    @Option(help: "Summary format: table (text) or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number") }
        guard momentum.isFinite, (0..<1).contains(momentum) else { throw ValidationError("--momentum must be in [0, 1)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard snapshotEvery >= 1 else { throw ValidationError("--snapshot-every must be at least 1") }
        guard format != .csv else { throw ValidationError("tracker run prints its summary as table or json, not csv") }
        if let empty = tags.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--tag must not be empty ('\(empty)')")
        }
    }

    func run() throws {
        var configuration = ExperimentConfiguration()
        configuration.dataset = dataset
        configuration.architecture = arch
        configuration.activation = activation
        configuration.initialization = initialization
        configuration.learningRate = lr
        configuration.momentum = momentum
        configuration.batchSize = batch
        configuration.epochs = epochs
        configuration.seed = seed
        configuration.snapshotEvery = snapshotEvery
        configuration.testSamples = testSamples
        configuration.probeSamples = probeSamples
        configuration.name = name
        configuration.tags = tags
        configuration.commandLine = CommandLine.arguments.map(Self.shellQuoted).joined(separator: " ")

        let runner = try ExperimentRunner(configuration)
        let store = try database.open(create: true)
        let interrupt = InterruptFlag()
        let progressLine = Terminal.standardOutputIsTerminal ? ProgressLine() : nil
        let outcome = try runner.run(in: store, shouldStop: { interrupt.isSet }, progress: { progress in
            progressLine?.show(Self.describe(progress))
        })
        progressLine?.clear()
        print(RunSummary.render(outcome, format: format), terminator: "")
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
    static func render(_ outcome: ExperimentOutcome, format: OutputFormat) -> String {
        let uuid = outcome.uuid.uuidString.lowercased()
        if format == .json {
            func number(_ value: Double?) -> String { value.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
            let layers = outcome.layers.map { layer in
                JSONText.object([("name", JSONText.string(layer.name)), ("peak_step", "\(layer.peakStep)"),
                                 ("peak_mean_abs_r", number(layer.peakMeanAbsR)),
                                 ("final_mean_abs_r", number(layer.finalMeanAbsR))])
            }
            return JSONText.object([
                ("run_id", "\(outcome.runID)"), ("uuid", JSONText.string(uuid)),
                ("status", JSONText.string(outcome.status.rawValue)), ("steps", "\(outcome.steps)"),
                ("total_steps", "\(outcome.totalSteps)"), ("snapshot_steps", "\(outcome.snapshotSteps)"),
                ("test_accuracy", number(outcome.finalTest?.accuracy)), ("test_loss", number(outcome.finalTest?.loss)),
                ("train_accuracy", number(outcome.finalTrain?.accuracy)), ("wall_time", number(outcome.wallTime)),
                ("layers", "[" + layers.joined(separator: ",") + "]"),
            ]) + "\n"
        }
        var lines = [String(format: "run %lld %@ %@: %d/%d steps in %.1f s", outcome.runID, uuid,
                            outcome.status.rawValue, outcome.steps, outcome.totalSteps, outcome.wallTime)]
        if let test = outcome.finalTest, let train = outcome.finalTrain {
            lines.append(String(format: "test accuracy %.4f (loss %.4f), train accuracy %.4f", test.accuracy, test.loss,
                                train.accuracy))
        }
        lines.append(outcome.layers.isEmpty ? "no hidden layers, so no correlation snapshots"
                     : "correlation snapshots at \(outcome.snapshotSteps) steps; mean |r| per hidden layer:")
        for layer in outcome.layers {
            func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
            lines.append("  \(layer.name): peak \(text(layer.peakMeanAbsR)) at step \(layer.peakStep), "
                         + "final \(text(layer.finalMeanAbsR))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
