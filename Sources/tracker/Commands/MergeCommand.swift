// `tracker merge`: copy the runs of other tracker files (shards, archives) into one.
import ArgumentParser
import Foundation
import TrackerStore

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the runs of tracker databases into one, by run uuid; the inputs are never changed.",
        discussion: """
            Runs are matched by uuid: a run the target lacks is copied with everything recorded about it; one it \
            already has with the same contents is skipped, so merging twice changes nothing. Architectures, \
            hyperparameter sets and data sets are shared by content hash and ids are renumbered. A run that both \
            files hold with different contents is kept as the target has it and reported (exit status 1). Inputs \
            with an older schema are read through a migrated temporary copy; every input is opened read-only.

            Examples:
              tracker merge shard-*.sqlite --into sweep.sqlite
              tracker merge old-archive.sqlite --into tracker.sqlite --format json
            """)

    @Argument(help: ArgumentHelp("The tracker databases to merge from.", valueName: "file"))
    var sources: [String]

    @Option(help: "The database to merge into (created when missing).")
    var into: String

    @Option(help: "Output format: table, csv, json or markdown.")
    var format: OutputFormat = .table

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one database to merge from") }
    }

    func run() throws {
        // Check every input before the target is touched, so a bad file changes nothing; then open them one at a
        // time, so that older inputs' migrated copies (and their file handles) exist one at a time too.
        for source in sources {
            if TrackerDatabase.isSameFile(source, into) { throw CommandFailure("cannot merge \(source) into itself") }
            try TrackerDatabase.checkReadable(path: source)
        }
        let target = try TrackerDatabase.open(path: into, create: true)
        var reports: [MergeReport] = []
        for source in sources {
            reports.append(try target.merge(from: try TrackerDatabase.openForReading(path: source)))
        }
        let table = ResultTable(
            columns: ["source", "schema", "runs_added", "runs_present", "conflicts", "rows_added", "snapshot_rows"],
            rows: reports.map { report in
                [.text(report.source), .integer(Int64(report.sourceSchemaVersion)), .integer(Int64(report.runsAdded)),
                 .integer(Int64(report.runsAlreadyPresent)), .integer(Int64(report.conflicts.count)),
                 .integer(Int64(report.totalRowsAdded)), .integer(Int64(report.rowsAdded["snapshots"] ?? 0))]
            })
        print(TableWriter.render(table, as: format), terminator: "")
        let conflicts = reports.flatMap { report in report.conflicts.map { "\(report.source): \($0)" } }
        for conflict in conflicts {
            FileHandle.standardError.write(Data("warning: \(conflict)\n".utf8))
        }
        if !conflicts.isEmpty {
            throw CommandFailure("\(conflicts.count) run(s) differ between the inputs and \(into); nothing of them was overwritten")
        }
    }
}
