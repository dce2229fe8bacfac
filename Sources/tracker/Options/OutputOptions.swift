// The --format option every command that prints rows shares.
import ArgumentParser

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, markdown
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table for people, csv or json for scripts, markdown (a GitHub table) for notes.")
    var format: OutputFormat = .table
}
