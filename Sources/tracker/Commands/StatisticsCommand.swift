// `tracker statistics`: the registry of snapshot statistics, with definitions, units, cost and references.
import ArgumentParser
import TrackerAnalysis
import TrackerStore

struct StatisticsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statistics",
        abstract: "List the snapshot statistics: name, definition, unit, cost, whether the default set has it.",
        discussion: """
            Each is a column of the snapshots table (r_histogram: the snapshot_histograms table). \
            tracker run --statistics default|all|LIST picks those a run records (mean_abs_r and mean_r always); \
            tracker show and tracker phases take --stat NAME.
            """)

    @OptionGroup var output: OutputOptions

    func run() throws {
        let table = ResultTable(
            columns: ["name", "default", "cost", "unit", "definition", "reference"],
            rows: SnapshotStatistic.all.map { statistic in
                [.text(statistic.name), .text(statistic.isDefault ? "yes" : "no"), .text(Self.cost(statistic.cost)),
                 .text(statistic.unit), .text(statistic.definition), .text(statistic.reference)]
            })
        print(TableWriter.render(table, as: output.format), terminator: "")
    }

    static func cost(_ cost: SnapshotStatistic.Cost) -> String {
        switch cost {
        case .pairs: "O(D²)"
        case .activations: "O(N·D)"
        case .crossProduct: "O(N·D²) per reference"
        case .eigendecomposition: "O(min(N,D)³)"
        }
    }
}
