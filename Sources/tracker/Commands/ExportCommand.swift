// `tracker export`: a new tracker database holding just the chosen runs.
import ArgumentParser
import Foundation
import TrackerStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write chosen runs, with everything recorded about them, to a new tracker database.",
        discussion: """
            The new file is a complete tracker database at the current schema, holding only the chosen runs and \
            the architectures, hyperparameter sets and data sets they use; the source is opened read-only.

            Examples:
              tracker export 3 7 1b2c3d4e --out subset.sqlite
              tracker export --where "lr >= 0.05 AND status = 'finished'" --out fast.sqlite
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("Runs: integer ids or uuid prefixes.", valueName: "run"))
    var references: [String] = []

    @Option(name: .customLong("where"), help: "Export the runs this filter selects (see `tracker compare --help`).")
    var filter: String?

    @Option(help: "The database file to create (it must not exist).")
    var out: String

    func validate() throws {
        if references.isEmpty && filter == nil { throw ValidationError("name runs to export, or select them with --where") }
        if !references.isEmpty && filter != nil { throw ValidationError("give runs or --where, not both") }
    }

    func run() throws {
        if FileManager.default.fileExists(atPath: out) {
            throw CommandFailure("\(out) exists; export writes a new file (choose another name, or `tracker merge` into it)")
        }
        let source = try database.openForReading()
        let runIDs: [Int64]
        if let filter {
            let expression: RunFilterExpression
            do {
                expression = try RunFilterExpression(parsing: filter)
            } catch {
                throw usageFailure("--where: \(error.description)", "  \(filter)", "  \(error.caretLine)")
            }
            if let unknown = try source.unknownNames(in: expression).first {
                throw usageFailure("--where: unknown name '\(unknown)' (known: "
                                   + (try source.filterNames()).joined(separator: ", ") + ")")
            }
            runIDs = try source.runIDs(matching: expression)
            if runIDs.isEmpty { throw CommandFailure("no runs match --where \"\(filter)\"") }
        } else {
            runIDs = try references.map(source.resolveRun)
        }
        let uuids = try source.uuids(of: runIDs)
        do {
            let target = try TrackerDatabase.open(path: out, create: true)
            let report = try target.merge(from: source, runUUIDs: Set(uuids))
            print("exported \(report.runsAdded) run(s), \(report.totalRowsAdded) rows, to \(out)")
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: out + suffix) }
            throw error
        }
    }
}
