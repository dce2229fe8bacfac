// `tracker reap`: mark runs whose process died `crashed`.
import ArgumentParser
import TrackerStore

struct ReapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reap",
        abstract: "Mark runs left `running` by a process that died (no commit for a while) as `crashed`.",
        discussion: """
            A recording run commits its rows and a heartbeat at least every 2 seconds. A run still `running` whose \
            last commit is older than --older-than was left by a process that died (kill -9, power loss, a lost \
            cluster node): it is marked `crashed`, keeping every row it committed, with ended_at set to its last \
            commit. `tracker check` lists such runs without changing anything.

            Examples:
              tracker reap
              tracker reap --older-than 1h --dry-run
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "A running run with no commit for longer than this is reaped (e.g. 90s, 10m, 2h).")
    var olderThan: TimeSpan = TimeSpan(seconds: 600)

    @Flag(help: "List the runs that would be marked, change nothing.")
    var dryRun = false

    func run() throws {
        let store = dryRun ? try database.openForReading() : try database.open(create: false)
        let reaped = try store.reapStaleRuns(staleAfter: olderThan.seconds, dryRun: dryRun)
        let table = ResultTable(columns: ["id", "uuid", "last_commit", "silent_for"], rows: reaped.map { run in
            [.integer(run.id), .text(run.uuid), run.heartbeatAt.map(SQLValue.text) ?? .null,
             .text(run.secondsSinceHeartbeat.map { TimeSpan(seconds: $0).description } ?? "-")]
        })
        if output.format == .table {
            print(reaped.isEmpty ? "no running run has been silent for longer than \(olderThan)"
                  : (dryRun ? "would mark crashed:" : "marked crashed:"))
            if !reaped.isEmpty { print(TableWriter.render(table, as: .table), terminator: "") }
        } else {
            print(TableWriter.render(table, as: output.format), terminator: "")
        }
    }
}
