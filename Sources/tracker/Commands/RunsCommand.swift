// `tracker runs`: the runs in a database, newest first.
import ArgumentParser
import TrackerStore

extension RunStatus: ExpressibleByArgument {}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs, newest first.",
        discussion: "Example: tracker runs --status finished --tag sweep1 --format csv")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only runs with this status.")
    var status: RunStatus?

    @Option(help: "Only runs with this tag.")
    var tag: String?

    @Option(help: "Only runs whose name contains this text (case-insensitive).")
    var name: String?

    @Option(help: "At most this many runs.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let store = try database.openForReading()
        let table = try store.runs(RunFilter(status: status, tag: tag, nameContains: name, limit: limit))
        print(TableWriter.render(table, as: output.format), terminator: "")
    }
}
