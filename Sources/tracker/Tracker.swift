// The `tracker` command: train networks, watch hidden layers decorrelate, query every run with SQL.
import ArgumentParser
import Foundation
import TrackerStore

@main
struct Tracker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracker",
        abstract: "Train neural networks, record how correlated their hidden neurons are, and query every run.",
        discussion: """
            Every run goes into one SQLite file (default: tracker.sqlite in the current folder): the run, its \
            architecture and hyperparameters, step metrics, evaluations, and correlation snapshots of each \
            hidden layer. Query it with `tracker sql`, `tracker query`, or plain sqlite3.
            """,
        version: TrackerVersion.current,
        subcommands: [RunCommand.self, RunsCommand.self, ShowCommand.self, PhasesCommand.self, CompareCommand.self,
                      SQLCommand.self, QueryCommand.self, MergeCommand.self, ExportCommand.self, MigrateCommand.self, ReapCommand.self,
                      CheckCommand.self, SweepCommand.self, SweepWorkerCommand.self, StatisticsCommand.self,
                      MatrixCommand.self, CorrelateCommand.self, IngestCommand.self, PlotCommand.self, ReportCommand.self,
                      ReproduceCommand.self])

    /// Starts the command. A full file-size limit (`ulimit -f`) must reach SQLite as a write error it can report
    /// and roll back, not kill the process with SIGXFSZ.
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exitWithOneLine(error)
        }
    }

    /// Exits for `error` as ArgumentParser would, but an error is one line on stderr: its message, without the usage
    /// that ArgumentParser prints after a flag's error (the message names the flag; `--help` has the rest). Help and
    /// version requests print as usual.
    static func exitWithOneLine(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        let text = message(for: error)
        if !text.isEmpty { FileHandle.standardError.write(Data("Error: \(text)\n".utf8)) }
        Foundation.exit(code.rawValue)
    }
}
