// The --db option every command shares, and how commands open the database.
import ArgumentParser
import Foundation
import TrackerStore

struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The tracker database file.")
    var db = "tracker.sqlite"

    /// Opens the database for writing (and migrates it); `create: false` so a typo never creates a new file.
    func open(create: Bool) throws -> TrackerDatabase {
        try TrackerDatabase.open(path: db, create: create)
    }

    /// Opens the database read-only, never changing the file (an older schema is read from a migrated copy).
    func openForReading() throws -> TrackerDatabase {
        try Self.noteCopy(TrackerDatabase.openForReading(path: db))
    }

    /// Opens the database for a command that may store what it derives (phases) when the file is current and writable.
    func openForAnalysis() throws -> TrackerDatabase {
        try Self.noteCopy(TrackerDatabase.openForAnalysis(path: db))
    }

    /// Says on stderr, once, that an older file is being read through a migrated copy.
    static func noteCopy(_ database: TrackerDatabase) -> TrackerDatabase {
        if database.readsMigratedCopy {
            FileHandle.standardError.write(Data(("note: \(database.path) has schema version \(database.foundSchemaVersion); "
                + "reading a migrated copy (the file is unchanged; `tracker migrate \(database.path)` upgrades it)\n").utf8))
        }
        return database
    }
}


/// A command that cannot do what was asked, in one line (ArgumentParser prints "Error: ..." and exits 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Bad input that only the database could reveal (a name it does not know) or that needs more than one line to show
/// (a caret under a malformed expression): writes `Error: ` and the lines to stderr and returns exit code 64, as for
/// any bad flag, without the usage text ArgumentParser adds to a `ValidationError`.
func usageFailure(_ lines: String...) -> ExitCode {
    FileHandle.standardError.write(Data(("Error: " + lines.joined(separator: "\n") + "\n").utf8))
    return ExitCode(64)
}
