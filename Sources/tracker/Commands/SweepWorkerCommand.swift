// `tracker sweep-worker` (internal): train one run of a sweep recorded in the database, linked to it.
import ArgumentParser
import Foundation
import TrackerExperiments
import TrackerStore

/// What `tracker sweep` starts for each run: reads the sweep's definition from the database, expands it as the
/// coordinator did, trains the run at `--index` and links it to the sweep in the transaction that inserts it.
/// Prints the run's summary as JSON; exits 130 when stopped (SIGTERM or SIGINT: the run ends `interrupted`).
struct SweepWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-worker", abstract: "Train one run of a sweep (started by tracker sweep).",
        shouldDisplay: false)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The sweep's uuid.")
    var sweepUUID: String

    @Option(help: "The run's index in the sweep's expansion.")
    var index: Int

    @Option(help: "The run's key, checked against the definition (so a definition changed meanwhile is noticed).")
    var key: String?

    @Option(help: "BLAS threads, unless the sweep sets them.")
    var threads = 1

    @Option(help: "The command line of the sweep, stored as the run's (with its index).")
    var commandLine: String?

    func run() throws {
        let store = try database.open(create: false)
        guard let sweep = try store.sweep(uuid: sweepUUID) else {
            throw CommandFailure("\(database.db) has no sweep \(sweepUUID)")
        }
        let definition = try RunCommand.usage {
            try SweepDefinition.read(yaml: sweep.configuration, source: "sweep \(sweep.name)'s definition",
                                     defaultName: sweep.name)
        }
        let points = try RunCommand.usage { try definition.expand(threads: threads) }
        guard points.indices.contains(index), key == nil || points[index].key == key else {
            throw CommandFailure("sweep \(sweep.name)'s definition changed since run \(index) was planned")
        }
        var configuration = points[index].configuration
        configuration.commandLine = commandLine.map { "\($0)  # run \(index) of sweep \(sweep.name)" }
            ?? CommandLine.arguments.map(RunCommand.shellQuoted).joined(separator: " ")
        let runner: ExperimentRunner
        do { runner = try ExperimentRunner(configuration) } catch { throw usageFailure("\(error)") }
        runner.stopsIdleBLASThreads = true  // one run at a time in this process: nothing else calls BLAS
        runner.sweepMembership = points[index].membership(sweepUUID: sweep.uuid)
        let interrupt = InterruptFlag(exitsOnSecondSignal: false)
        let outcome = try runner.run(in: store, shouldStop: { interrupt.isSet })
        let phases = try PhaseAnalysis.results(for: [outcome.runID], in: store)
        print(RunSummary.render(outcome, phases: phases, format: .json), terminator: "")
        if outcome.status == .interrupted { throw ExitCode(130) }
    }
}
