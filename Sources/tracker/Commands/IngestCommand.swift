// `tracker ingest DIR`: record a run trained in another framework from its activation dumps.
import ArgumentParser
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerStore

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Record a run trained elsewhere (PyTorch, JAX, ...) from a folder of activation dumps.",
        discussion: """
            The folder holds run.json (or run.yaml: uuid, and optionally name, architecture, layers, hyperparameters, \
            dataset, seed, tags), metrics.jsonl (optional: one JSON object per step with step, train_loss, \
            train_accuracy, learning_rate), labels.npy (optional: the probe samples' classes) and \
            step_<S>/<layer>.npy (samples × units activations of the same probe samples at step S). Every snapshot \
            gets the same statistics as `tracker run`. Ingesting a run whose uuid is already stored changes nothing. \
            docs/ingest.md describes the layout; docs/pytorch_hooks.py writes it with forward hooks.

            Example: tracker ingest runs/resnet-seed3 --statistics all
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The folder to ingest.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("Statistics per snapshot: default, all, or names separated by commas.",
                               valueName: "default|all|list"))
    var statistics = "default"

    func run() throws {
        let selection: StatisticSelection
        do { selection = try StatisticSelection(parsing: statistics) } catch {
            throw usageFailure("--statistics: \(error)")
        }
        // Everything is read and computed before the database is opened: a bad folder leaves it as it was.
        let prepared = try RunIngestion.prepare(directory: directory, statistics: selection)
        let outcome = try RunIngestion.record(prepared, into: try database.open(create: true))
        if outcome.alreadyPresent {
            print("run \(outcome.runID) (uuid \(outcome.uuid)) is already in \(database.db): nothing changed")
        } else {
            print("run \(outcome.runID) (uuid \(outcome.uuid)) ingested: \(outcome.snapshotSteps) snapshot steps of "
                  + "\(outcome.layers.joined(separator: ", ")), \(outcome.metricRows) metric rows")
        }
    }
}
