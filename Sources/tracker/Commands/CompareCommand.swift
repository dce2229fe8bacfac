// `tracker compare RUN... | --where EXPR`: runs side by side, seeds pooled, per probed layer.
import ArgumentParser
import Foundation
import TrackerExperiments
import TrackerStore

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs side by side: phase, peak step, peak, decay and final value per layer, seeds pooled.",
        discussion: """
            One row per run, or per group of runs, and probed layer. Runs identical but for their seed (same \
            architecture, data set and hyperparameters) are pooled into one group unless --no-group-seeds; \
            --group-by KEYS pools the runs that share those hyperparameters or run columns instead. A group shows \
            mean ± sd over its runs, n, the most common phase class and how many runs are in it \
            ("rise_then_decay 4/5"), and the median peak step with its percentile-bootstrap 95 % interval over the \
            runs ("412 [380, 460]"). Parameter columns come first and list only what differs among the runs \
            (--all-params for all). Values at --at-steps are read at the nearest snapshot at or before each step. \
            Phases are detected as by `tracker phases` (same options), and stored. A run still running is compared \
            on what it has recorded, and its status says so.

            Columns (for --sort and --columns): the parameter names, runs, seed (with --no-group-seeds) or n (groups), \
            test_accuracy, layer, reduction (recurrent layers), class, peak_step, peak, decay_fraction, final, \
            at_STEP for each --at-steps, status, and trajectory (a sparkline, when stdout is a terminal). CSV adds \
            the spreads (NAME_sd, peak_step_low/high, class_fraction, class_counts) in full precision; JSON nests \
            the layers in the groups and always has every field.

            Examples:
              tracker compare 1 2 3
              tracker compare --where "arch = '64-128relu-64relu-10' AND epochs = 20" --group-by lr
              tracker compare --where "tag = 'sweep1'" --at-steps 0,100,1000 --sort peak_step --format markdown
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Runs: integer ids or uuid prefixes (or --where; neither for every run).",
                                 valueName: "run"))
    var references: [String] = []

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Compare the runs this filter selects, e.g. \"lr > 0.01 AND status = 'finished'\" (see tracker runs --help).",
        valueName: "expression"))
    var filter: String?

    @Option(name: .customLong("group-by"), help: ArgumentHelp(
        "Pool runs by these hyperparameters or run columns (comma-separated, e.g. lr,batch or arch).",
        valueName: "keys"))
    var groupBy: [String] = []

    @Flag(help: "One row per run: do not pool the seeds of a configuration.")
    var noGroupSeeds = false

    @Flag(help: "Show every parameter, not only those that differ among the runs.")
    var allParams = false

    @Option(help: "Only this layer (e.g. dense2, conv1, lstm1).")
    var layer: String?

    @Option(help: ArgumentHelp("Also show the statistic at these steps (nearest snapshot at or before), e.g. 0,100,1000.",
                               valueName: "steps"))
    var atSteps: String?

    @Option(help: ArgumentHelp("Sort rows by this column (ascending; NULLs last).", valueName: "column"))
    var sort: String?

    @Flag(help: "Sort descending.")
    var desc = false

    @Option(help: ArgumentHelp("Only these columns, in this order (comma-separated; table, csv, markdown).",
                               valueName: "columns"))
    var columns: [String] = []

    func validate() throws {
        if filter != nil && !references.isEmpty {
            throw ValidationError("give runs or --where, not both")
        }
        if !groupBy.isEmpty && noGroupSeeds {
            throw ValidationError("--group-by and --no-group-seeds do not go together (--group-by chooses the groups)")
        }
        if groupBy.isEmpty == false && groupKeys.isEmpty { throw ValidationError("--group-by needs at least one name") }
        if desc && sort == nil { throw ValidationError("--desc needs --sort COLUMN") }
        if !columns.isEmpty && output.format == .json {
            throw ValidationError("--columns selects columns of table, csv and markdown output; json has every field")
        }
        if !columns.isEmpty && columnNames.isEmpty { throw ValidationError("--columns needs at least one column") }
        if let atSteps, Self.parseSteps(atSteps) == nil {
            throw ValidationError("--at-steps takes steps (integers ≥ 0) separated by commas, e.g. 0,100,1000; got '\(atSteps)'")
        }
    }

    /// Steps in ascending order without repeats; nil unless every comma-separated item is an integer ≥ 0.
    static func parseSteps(_ text: String) -> [Int]? {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var steps: [Int] = []
        for item in items {
            guard let step = Int(item), step >= 0 else { return nil }
            steps.append(step)
        }
        return steps.isEmpty ? nil : Array(Set(steps)).sorted()
    }

    private var groupKeys: [String] { Self.list(groupBy) }
    private var columnNames: [String] { Self.list(columns) }

    /// Comma-separated, repeatable option values as one list.
    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    func run() throws {
        let (store, runIDs) = try RunSelection.open(database, references: references, filter: filter)

        let trajectories = output.format == .table && Terminal.standardOutputIsTerminal
        let options = ComparisonOptions(
            statistic: detector.statistic, detectorParameters: detector.parameters, layer: layer,
            grouping: noGroupSeeds ? .none : groupKeys.isEmpty ? .seeds : .keys(groupKeys),
            atSteps: atSteps.flatMap(Self.parseSteps) ?? [], allParameters: allParams, recompute: detector.recompute,
            includeTrajectories: trajectories)
        let comparison: Comparison
        do {
            comparison = try RunComparison.compare(runIDs, in: store, options: options)
        } catch let error as ComparisonError {
            switch error {
            case .unknownLayer: throw usageFailure("--layer: \(error.description)")
            case .unknownName: throw usageFailure("--group-by: \(error.description)")
            }
        }

        var rows = ComparisonWriter.rows(comparison)
        let available = ComparisonWriter.columns(comparison, trajectories: trajectories)
        if let sort {
            guard let column = available.first(where: { $0.name == sort }) else {
                throw usageFailure("--sort: no column named '\(sort)' (columns: "
                                   + available.map(\.name).joined(separator: ", ") + ")")
            }
            rows = ComparisonWriter.sorted(rows, by: column, descending: desc)
        }
        var chosen = available
        if !columnNames.isEmpty {
            chosen = try columnNames.map { name in
                guard let column = available.first(where: { $0.name == name }) else {
                    throw usageFailure("--columns: no column named '\(name)' (columns: "
                                       + available.map(\.name).joined(separator: ", ") + ")")
                }
                return column
            }
        }

        for group in comparison.groups where group.runningCount > 0 {
            let running = group.runs.filter { $0.status == "running" }.map { String($0.id) }
            FileHandle.standardError.write(Data((
                "note: run\(running.count > 1 ? "s" : "") \(running.joined(separator: ", ")) still running: "
                + "compared on what \(running.count > 1 ? "they have" : "it has") recorded so far\n").utf8))
        }
        if output.format == .json {
            print(ComparisonWriter.json(comparison, rows: rows), terminator: "")
        } else {
            print(ComparisonWriter.render(rows, columns: chosen, as: output.format), terminator: "")
        }
    }
}
