// `tracker query`: the named analysis queries of Queries/.
import ArgumentParser
import TrackerStore

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a named query from Queries/ (see --list).",
        discussion: """
            Each query is a SQL file compiled into tracker; the same file runs unchanged in sqlite3 (unset \
            parameters are NULL there, which selects each parameter's default).

            Example: tracker query snapshot_series --param run=1 --param layer=dense1
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "List the named queries and their parameters.")
    var list = false

    @Argument(help: "The query's name.")
    var name: String?

    @Option(name: .customLong("param"), help: "A parameter as NAME=VALUE (repeatable); numbers bind as numbers.")
    var parameters: [String] = []

    func validate() throws {
        if !list && name == nil { throw ValidationError("give a query name, or --list to see them") }
        for parameter in parameters where !parameter.contains("=") || parameter.hasPrefix("=") {
            throw ValidationError("--param takes NAME=VALUE, got '\(parameter)'")
        }
    }

    func run() throws {
        if list {
            let table = ResultTable(columns: ["name", "parameters", "answers"], rows: NamedQuery.all.map { query in
                [.text(query.name),
                 .text(query.parameters.map { $0.isRequired ? $0.name : "[\($0.name)]" }.joined(separator: " ")),
                 .text(query.summary)]
            })
            print(TableWriter.render(table, as: output.format), terminator: "")
            return
        }
        guard let name else { return }
        guard NamedQuery.all.contains(where: { $0.name == name }) else { throw StoreError.unknownQuery(name) }
        var values: [String: SQLValue] = [:]
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].hasPrefix(":") ? String(parts[0].dropFirst()) : String(parts[0])
            values[key] = SQLValue(parsing: String(parts[1]))
        }
        let store = try database.openForReading()
        print(TableWriter.render(try store.query(named: name, parameters: values), as: output.format), terminator: "")
    }
}
