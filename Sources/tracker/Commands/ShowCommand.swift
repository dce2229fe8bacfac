// `tracker show RUN`: one run's settings, final metrics and correlation trajectory.
import ArgumentParser
import TrackerAnalysis
import TrackerStore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: hyperparameters, architecture, final metrics, and a snapshot statistic per probed layer.",
        discussion: """
            Example: tracker show 3   or   tracker show 1b2c3d4e   or   tracker show 3 --stat effective_rank

            --stat picks the snapshot statistic shown per layer (mean_abs_r by default; tracker statistics lists \
            them all). A run recorded before it existed, or without it selected, shows it as undefined.

            --config prints every setting of the run as YAML, which `tracker run --config FILE` reads: \
            tracker show 3 --config > run.yaml
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The run: its integer id or a unique prefix of its uuid.", valueName: "run"))
    var reference: String

    @Option(name: .customLong("stat"), help: "The snapshot statistic per layer: any scalar statistic (tracker statistics lists them).")
    var statistic = "mean_abs_r"

    @Flag(help: "Print the run's settings as YAML for `tracker run --config` instead (the name and tags left out).")
    var config = false

    func validate() throws {
        guard SnapshotStatistic.named(statistic)?.kind == .scalar else {
            throw ValidationError("--stat: no snapshot statistic named '\(statistic)' (known: "
                                  + SnapshotStatistic.scalars.map(\.name).joined(separator: ", ") + ")")
        }
    }

    func run() throws {
        let store = try database.openForReading()
        if config {
            let stored = try store.storedConfiguration(of: try store.resolveRun(reference))
            guard let text = stored.configuration else {
                throw CommandFailure("run \(stored.runID) was recorded by tracker \(stored.trackerVersion), before runs "
                                     + "stored their configuration; its hyperparameters and command line are in "
                                     + "tracker show \(stored.runID)")
            }
            print(text, terminator: "")
            return
        }
        let details = try store.runDetails(try store.resolveRun(reference), statistic: statistic)
        print(RunDetailsWriter.render(details, as: output.format), terminator: "")
    }
}

/// `tracker show` output: sections of tables, or one JSON object.
enum RunDetailsWriter {
    static func render(_ details: RunDetails, as format: OutputFormat) -> String {
        let correlation = ResultTable(
            columns: ["layer", "snapshots", "start", "peak", "peak_step", "final", "trajectory"],
            rows: details.series.map { series in
                let defined = zip(series.steps, series.values).compactMap { step, value in value.map { (step, $0) } }
                let peak = defined.max { $0.1 < $1.1 }
                return [.text(series.layerName), .integer(Int64(series.steps.count)),
                        defined.first.map { .real($0.1) } ?? .null, peak.map { .real($0.1) } ?? .null,
                        peak.map { .integer(Int64($0.0)) } ?? .null, defined.last.map { .real($0.1) } ?? .null,
                        .text(Sparkline.render(series.values))]
            })
        let sections: [(String, ResultTable)] = [
            ("hyperparameters", details.hyperparameters), ("layers", details.layers),
            ("last_step", details.lastStep), ("final_evaluations", details.finalEvaluations),
            (details.statistic, correlation),
        ]
        switch format {
        case .json:
            var members: [(String, String)] = []
            if let row = details.overview.rows.first {
                members += zip(details.overview.columns, row).map { ($0, JSONText.value($1)) }
            }
            members.append(("snapshot_rows", "\(details.snapshotCount)"))
            members += sections.map { ($0.0, TableWriter.json($0.1)) }
            return JSONText.object(members) + "\n"
        case .csv:
            var blocks = ["# run\n" + TableWriter.csv(details.overview)]
            blocks += sections.map { "# \($0.0)\n" + TableWriter.csv($0.1) }
            return blocks.joined(separator: "\n")
        case .markdown:
            var fields: [[String]] = []
            if let row = details.overview.rows.first {
                fields = zip(details.overview.columns, row).filter { $0.1 != .null }
                    .map { [$0.0, TableWriter.humanText($0.1)] }
            }
            fields.append(["snapshot_rows", "\(details.snapshotCount)"])
            var text = TableWriter.markdown(header: ["field", "value"], cells: fields, rightAligned: [false, false])
            for (title, table) in sections {
                text += "\n**\(title.replacingOccurrences(of: "_", with: " "))**\n\n" + TableWriter.markdown(table)
            }
            return text
        case .table:
            var lines: [String] = []
            let width = details.overview.columns.map(\.count).max() ?? 0
            func line(_ key: String, _ value: String) -> String {
                key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value
            }
            if let row = details.overview.rows.first {
                for (column, value) in zip(details.overview.columns, row) where value != .null {
                    lines.append(line(column, TableWriter.humanText(value)))
                }
            }
            lines.append(line("snapshot_rows", "\(details.snapshotCount)"))
            var text = lines.joined(separator: "\n") + "\n"
            for (title, table) in sections {
                text += "\n\(title.replacingOccurrences(of: "_", with: " ")):\n" + TableWriter.aligned(table)
            }
            return text
        }
    }
}
