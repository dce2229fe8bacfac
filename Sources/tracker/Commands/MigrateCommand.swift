// `tracker migrate FILE`: upgrade a database file to this tracker's schema, keeping the original.
import ArgumentParser
import TrackerStore

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Upgrade a tracker database to the current schema: copy, migrate, check, swap; the original is kept.",
        discussion: """
            Reading commands never migrate a file: they read an older file through a migrated temporary copy. \
            This command upgrades the file itself: it copies it beside itself, migrates and checks the copy \
            (integrity and foreign keys), keeps the original as FILE.schema-N.bak and renames the copy over FILE \
            in one atomic step. It refuses while a run is still recording into the file. `tracker run` upgrades \
            the file it writes to by itself.

            Example: tracker migrate results-2025.sqlite
            """)

    @Argument(help: ArgumentHelp("The database file to upgrade.", valueName: "file"))
    var file: String

    func run() throws {
        let outcome = try TrackerDatabase.migrateFile(path: file)
        if let backup = outcome.backupPath {
            print("\(file): schema \(outcome.fromVersion) → \(outcome.toVersion); the original is kept as \(backup)")
        } else {
            print("\(file): already at schema \(outcome.toVersion); nothing to do")
        }
    }
}
