// `tracker correlate FILE`: every statistic of an activation matrix from any framework (.npy, .npz, .csv).
import ArgumentParser
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerStore

struct CorrelateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlate",
        abstract: "Print every correlation statistic of a samples × units activation matrix (.npy, .npz or .csv).",
        discussion: """
            The file holds one row per sample and one column per unit: a NumPy .npy array (float32, float64 or \
            integers), an .npz archive (--array names the member when it holds several), or CSV (an optional header \
            line of names). float64 input is computed in float64 throughout. The statistics are those `tracker run` \
            records (tracker statistics lists them); --labels gives class_selectivity, --reference an earlier matrix \
            of the same shape for CKA. NaN or infinite values are refused.

            Examples:
              tracker correlate fc1.npy
              tracker correlate acts.npz --array fc1 --labels labels.npy --format json
              tracker correlate step_500/fc1.npy --reference step_0/fc1.npy
            """)

    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The activations: .npy, .npz or .csv, samples × units.", valueName: "file"))
    var file: String

    @Option(help: "The member of an .npz archive (when it holds several).")
    var array: String?

    @Option(help: ArgumentHelp("The class of each sample (.npy or one-column CSV), for class_selectivity.", valueName: "file"))
    var labels: String?

    @Option(help: ArgumentHelp("Another matrix of the same shape (e.g. the same layer earlier) for CKA.", valueName: "file"))
    var reference: String?

    @Option(help: ArgumentHelp("Statistics: all (the default here), default, or names separated by commas.",
                               valueName: "all|default|list"))
    var statistics = "all"

    func run() throws {
        let selection: StatisticSelection
        do { selection = try StatisticSelection(parsing: statistics) } catch {
            throw usageFailure("--statistics: \(error)")
        }
        let matrix = try Self.finite(ActivationFile.read(path: file, array: array), file)
        let labelValues = try labels.map { path in
            let values = try ActivationFile.readLabels(path: path)
            guard values.count == matrix.samples else {
                throw CommandFailure("\(path): \(values.count) labels for the \(matrix.samples) samples of \(file)")
            }
            return values
        }
        let referenceMatrix = try reference.map { path in
            let other = try Self.finite(ActivationFile.read(path: path, array: array), path)
            guard other.samples == matrix.samples, other.units == matrix.units else {
                throw CommandFailure("\(path): shape (\(other.samples), \(other.units)) differs from the "
                                     + "(\(matrix.samples), \(matrix.units)) of \(file)")
            }
            return other
        }
        let computed = ActivationStatistics.compute(matrix, labels: labelValues, reference: referenceMatrix,
                                                    selection: selection)
        print(Self.render(computed, matrix: matrix, file: file, selection: selection, format: output.format),
              terminator: "")
    }

    /// The matrix, or a one-line error naming the first NaN or infinity.
    static func finite(_ matrix: ActivationMatrix, _ path: String) throws -> ActivationMatrix {
        if let bad = matrix.firstNonFinite {
            throw CommandFailure("\(path): \(bad.count) value\(bad.count == 1 ? " is" : "s are") NaN or infinite (the "
                                 + "first at row \(bad.row + 1), column \(bad.column + 1)); correlations need finite "
                                 + "activations")
        }
        return matrix
    }

    /// The counts, then each selected scalar statistic (null when undefined), then the histogram when selected.
    static func render(_ computed: SnapshotStatisticValues, matrix: ActivationMatrix, file: String,
                       selection: StatisticSelection, format: OutputFormat) -> String {
        let summary = computed.summary
        let counts: [(String, SQLValue)] = [
            ("samples", .integer(Int64(summary.samples))), ("units", .integer(Int64(summary.units))),
            ("live_units", .integer(Int64(summary.liveUnits))), ("dead_units", .integer(Int64(summary.deadUnits))),
            ("pair_count", .integer(Int64(summary.pairCount))), ("precision", .text(matrix.precision)),
        ]
        let chosen = selection.statistics.filter { $0.kind == .scalar }
        let scalars: [(SnapshotStatistic, SQLValue)] = chosen.map { statistic in
            (statistic, computed[statistic].map { .real($0) } ?? .null)
        }
        let edges = (0...CorrelationHistogram.binCount).map { CorrelationHistogram.edge($0) }
        switch format {
        case .json:
            var members: [(String, String)] = [("file", JSONText.string(file))]
            members += counts.map { ($0.0, JSONText.value($0.1)) }
            members.append(("statistics", JSONText.object(scalars.map { ($0.0.name, JSONText.value($0.1)) })))
            if let histogram = computed.histogram {
                members.append(("r_histogram", JSONText.object([
                    ("edges", "[" + edges.map { "\($0)" }.joined(separator: ",") + "]"),
                    ("counts", "[" + histogram.map(String.init).joined(separator: ",") + "]"),
                ])))
            }
            return JSONText.object(members) + "\n"
        default:
            var rows: [[SQLValue]] = counts.map { [.text($0.0), $0.1, .text("")] }
            rows += scalars.map { [.text($0.0.name), $0.1, .text($0.0.unit)] }
            if let histogram = computed.histogram {
                rows.append([.text("r_histogram"), .text(histogram.map(String.init).joined(separator: " ")),
                             .text("pairs per bin of 0.05 from -1 to 1")])
            }
            return TableWriter.render(ResultTable(columns: ["statistic", "value", "unit"], rows: rows), as: format)
        }
    }
}
