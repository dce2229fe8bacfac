// `tracker plot RUN... --out FIG.svg|FIG.png`: a snapshot statistic over training, one panel per probed layer.
import ArgumentParser
import Foundation
import TrackerExperiments
import TrackerPlot
import TrackerReport
import TrackerStore

extension PlotXAxis: ExpressibleByArgument {}
extension PlotBand: ExpressibleByArgument {}

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a snapshot statistic over training: one panel per probed layer, a line per run or group.",
        discussion: """
            One panel per probed layer (or --layer's), a line per run, or with --group-by a mean line per group \
            with a min-max (or --band sd: ±1 sd) band. The detected peak is marked and the rise and decay phases \
            shaded (phases detected as by `tracker phases`, same options, and stored); the statistic's noise floor \
            (the level of independent units) is a dashed line. The legend names what differs between the runs or \
            groups. Colours are Okabe-Ito's (readable with colour blindness), with dashes once there are more than \
            seven lines. --out decides the format: .svg (written by tracker), or .png (through rsvg-convert, \
            Debian package librsvg2-bin). The file is written whole or not at all.

            --x: step (default), log-step (1 + step on a log axis, the detector's view), epoch, or wall (seconds \
            since the run started).

            Examples:
              tracker plot 1 2 3 --out runs.svg
              tracker plot --where "tag = 'sweep1'" --group-by lr --band sd --out lr.png
              tracker plot 4 --stat max_abs_r --layer dense2 --x log-step --out max.svg
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var detector: DetectorOptions

    @Argument(help: ArgumentHelp("Runs: integer ids or uuid prefixes (or --where; neither for every run).",
                                 valueName: "run"))
    var references: [String] = []

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Plot the runs this filter selects, e.g. \"lr > 0.01 AND status = 'finished'\" (see tracker runs --help).",
        valueName: "expression"))
    var filter: String?

    @Option(name: .customLong("group-by"), help: ArgumentHelp(
        "A mean line per group of runs sharing these hyperparameters or run columns (comma-separated, e.g. lr,batch).",
        valueName: "keys"))
    var groupBy: [String] = []

    @Option(help: "Only this layer (e.g. dense2, conv1, lstm1).")
    var layer: String?

    @Option(name: .customLong("x"), help: "The x axis.")
    var xAxis: PlotXAxis = .step

    @Option(help: "The band around a group's mean line (with --group-by): minmax or sd.")
    var band: PlotBand = .minmax

    @Option(help: "The figure's title (default: 'STATISTIC by layer').")
    var title: String?

    @Option(help: ArgumentHelp("The figure file: .svg or .png.", valueName: "file"))
    var out: String

    func validate() throws {
        if filter != nil && !references.isEmpty { throw ValidationError("give runs or --where, not both") }
        if !groupBy.isEmpty && CompareCommand.list(groupBy).isEmpty {
            throw ValidationError("--group-by needs at least one name")
        }
        do {
            _ = try FigureFormat(path: out)
        } catch {
            throw ValidationError("--out: \(error.description)")
        }
    }

    func run() throws {
        let format = try FigureFormat(path: out)
        try OutputFile.checkWritable(out)
        let (store, runIDs) = try RunSelection.open(database, references: references, filter: filter)
        if !(try store.storedStatistics(runIDs: runIDs)).contains(detector.statistic) {
            throw CommandFailure("the runs given recorded no \(detector.statistic) (tracker run --statistics chooses "
                                 + "what a run records; tracker statistics lists them)")
        }
        let options = PlotOptions(statistic: detector.statistic, layer: layer, grouping: groupBy.isEmpty ? .none : .keys(CompareCommand.list(groupBy)),
                                  xAxis: xAxis, band: band, detectorParameters: detector.parameters,
                                  recompute: detector.recompute, title: title)
        let figure: Figure
        do {
            figure = try RunFigures.figure(runIDs, in: store, options: options)
        } catch let error as ComparisonError {
            switch error {
            case .unknownLayer: throw usageFailure("--layer: \(error.description)")
            case .unknownName: throw usageFailure("--group-by: \(error.description)")
            }
        }
        if figure.panels.isEmpty { throw CommandFailure("the runs given have no snapshots of \(detector.statistic)") }
        let svg = SVGRenderer.document(figure)
        let data = format == .svg ? Data(svg.utf8) : try OutputFile.png(fromSVG: svg)
        try OutputFile.write(data, to: out)
        let lines = Set(figure.panels.flatMap { $0.series.map(\.label) }).count
        FileHandle.standardError.write(Data(("wrote \(out): \(figure.panels.count) panel"
            + "\(figure.panels.count == 1 ? "" : "s"), \(lines) line\(lines == 1 ? "" : "s")\n").utf8))
    }
}
