// Runs chosen on the command line: ids or uuid prefixes, or a --where filter, or (neither) every run.
import ArgumentParser
import Foundation
import TrackerStore

/// How `compare`, `plot` and `report` turn their run arguments and `--where` into run ids.
enum RunSelection {
    /// Opens the database for analysis (see ``DatabaseOptions/openForAnalysis()``) and selects the runs: their ids
    /// sorted, each once. A malformed `--where` is reported before the database is opened.
    ///
    /// - Throws: a usage failure (exit 64) for a malformed or unknown `--where`; ``CommandFailure`` when nothing
    ///   matches or the database has no runs; store errors for an unknown run reference or an unreadable file.
    static func open(_ database: DatabaseOptions, references: [String], filter: String?) throws
        -> (store: TrackerDatabase, runIDs: [Int64]) {
        var expression: RunFilterExpression?
        if let filter {
            do {
                expression = try RunFilterExpression(parsing: filter)
            } catch {
                throw usageFailure("--where: \(error.description)", "  \(filter)", "  \(error.caretLine)")
            }
        }
        let store = try database.openForAnalysis()
        let runIDs: [Int64]
        if let expression {
            if let unknown = try store.unknownNames(in: expression).first {
                throw usageFailure("--where: unknown name '\(unknown)' (known: "
                                   + (try store.filterNames()).joined(separator: ", ") + ")")
            }
            runIDs = try store.runIDs(matching: expression)
            if runIDs.isEmpty { throw CommandFailure("no runs match --where \"\(filter ?? "")\"") }
        } else if references.isEmpty {
            runIDs = try store.runIDs(matching: nil)
            if runIDs.isEmpty { throw CommandFailure("no runs in \(database.db)") }
        } else {
            runIDs = try references.map(store.resolveRun)
        }
        return (store, Array(Set(runIDs)).sorted())
    }
}
