// The --db option every command shares, and how commands open the database.
import ArgumentParser
import TrackerStore

struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The tracker database file.")
    var db = "tracker.sqlite"

    /// Opens the database; read-only commands pass `create: false` so a typo never creates a new file.
    func open(create: Bool) throws -> TrackerDatabase {
        try TrackerDatabase.open(path: db, create: create)
    }
}


/// A command that cannot do what was asked, in one line (ArgumentParser prints "Error: ..." and exits 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
