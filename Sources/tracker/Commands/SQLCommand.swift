// `tracker sql`: ad-hoc read-only SQL over a tracker database.
import ArgumentParser
import TrackerStore

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run one read-only SQL statement and print its rows.",
        discussion: """
            The database is opened through a read-only connection and statements that would write are refused. \
            Tables: runs, architectures, layers, hyperparameter_sets, hyperparameters, datasets, tags, \
            step_metrics, step_penalties, evaluations, snapshots, schema_migrations. Views: run_overview, snapshot_series.

            Example: tracker sql "SELECT run_id, step, layer_name, mean_abs_r FROM snapshot_series WHERE step = 0"
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The SQL statement.")
    var sql: String

    func run() throws {
        let store = try database.openForReading()
        print(TableWriter.render(try store.query(sql: sql), as: output.format), terminator: "")
    }
}
