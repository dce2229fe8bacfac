// Figures of stored runs: one panel per probed layer, a line per run or a mean line with a band per group, the
// detected peak, the rise and decay phases shaded and the noise floor, built from the comparison `tracker compare`
// makes.
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerPlot
import TrackerStore

/// What a plot puts on its x axis.
public enum PlotXAxis: String, CaseIterable, Sendable {
    /// Training steps, linear.
    case step
    /// 1 + step on a log axis (the detector's own axis is ln(1 + step); step 0 stays on the plot).
    case logStep = "log-step"
    /// Steps over the run's steps per epoch (fractional epochs).
    case epoch
    /// Seconds since the run started, at each snapshot (a group: the mean over its runs).
    case wall
}

/// The band around a group's mean line.
public enum PlotBand: String, CaseIterable, Sendable {
    /// From the smallest to the largest run at each step.
    case minmax
    /// Mean ± one sample standard deviation over the runs.
    case sd
}

/// What ``RunFigures/figure(_:in:options:)`` draws.
public struct PlotOptions: Sendable {
    /// The snapshot statistic (a scalar statistic of the registry).
    public var statistic: String
    /// Only this probed layer (nil: a panel per probed layer).
    public var layer: String?
    /// How runs are pooled into lines: `.none` (the default) a line per run; `.seeds` or `.keys` (as
    /// `tracker compare`, `--group-by`) a mean line with a band per group.
    public var grouping: ComparisonGrouping
    public var xAxis: PlotXAxis
    public var band: PlotBand
    public var detectorParameters: PhaseDetectorParameters
    /// Detect phases again even where stored results are current.
    public var recompute: Bool
    /// The figure's title (nil: "STATISTIC by layer").
    public var title: String?
    /// Prefix of the SVG's ids (distinct per figure on one page).
    public var identifier: String
    /// Panels per row.
    public var columns: Int

    public init(statistic: String = "mean_abs_r", layer: String? = nil, grouping: ComparisonGrouping = .none,
                xAxis: PlotXAxis = .step, band: PlotBand = .minmax,
                detectorParameters: PhaseDetectorParameters = PhaseDetectorParameters(), recompute: Bool = false,
                title: String? = nil, identifier: String = "figure", columns: Int = 2) {
        self.statistic = statistic
        self.layer = layer
        self.grouping = grouping
        self.xAxis = xAxis
        self.band = band
        self.detectorParameters = detectorParameters
        self.recompute = recompute
        self.title = title
        self.identifier = identifier
        self.columns = columns
    }
}

/// A plot that names something the runs do not have.
public enum PlotError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A statistic that is no scalar snapshot statistic.
    case unknownStatistic(String, known: [String])

    public var description: String {
        switch self {
        case .unknownStatistic(let name, let known):
            return "no snapshot statistic named '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }
}

/// Builds figures of stored runs.
public enum RunFigures {
    /// A figure of `statistic` for the runs: one panel per probed layer (and reduction), in layer order.
    ///
    /// With grouping `.none` each run is a line; otherwise each group is the pointwise mean of its runs with a min–max or
    /// ±sd band (``SeriesSpread``). Phases come from the comparison (as `tracker compare` detects and stores them),
    /// and are drawn for a line whose class (a group's most common class, as `compare` shows it) is
    /// rise_then_decay: a run's peak is marked at its refined peak step and value, a group's at its median peak
    /// step on its mean line; the rise is shaded from the line's first point to the peak, the decay from the peak
    /// to its last point; each distinct noise floor of the statistic is a dashed line. Runs, or
    /// groups, keep their colour in every panel; the legend names the parameters that differ between them.
    ///
    /// - Throws: ``PlotError`` for an unknown statistic; ``ComparisonError`` for a layer or grouping name that stands
    ///   for nothing; store errors.
    public static func figure(_ runIDs: [Int64], in database: TrackerDatabase,
                              options: PlotOptions = PlotOptions()) throws -> Figure {
        guard let statistic = SnapshotStatistic.named(options.statistic), statistic.kind == .scalar else {
            throw PlotError.unknownStatistic(options.statistic, known: SnapshotStatistic.scalars.map(\.name))
        }
        let comparison = try RunComparison.compare(
            runIDs, in: database,
            options: ComparisonOptions(statistic: statistic.name, detectorParameters: options.detectorParameters,
                                       layer: options.layer, grouping: options.grouping,
                                       recompute: options.recompute))
        return try figure(comparison, in: database, options: options)
    }

    /// A figure of a comparison already made (its statistic, layers and groups); see ``figure(_:in:options:)``.
    public static func figure(_ comparison: Comparison, in database: TrackerDatabase,
                              options: PlotOptions) throws -> Figure {
        let runIDs = comparison.groups.flatMap(\.runIDs)
        var seriesByKey: [SeriesKey: SnapshotSeries] = [:]
        for series in try database.snapshotSeries(runIDs: runIDs, statistic: comparison.statistic,
                                                  layerName: options.layer) {
            seriesByKey[SeriesKey(runID: series.runID, layer: series.layerName, reduction: series.reduction)] = series
        }
        let clocks = options.xAxis == .epoch || options.xAxis == .wall
            ? try database.snapshotClocks(runIDs: runIDs) : [:]

        // Panels: every (layer, reduction) of any group, in the order they first appear: groups in their order,
        // each group's layers by layer index (so runs of one architecture give its layer order, and runs of
        // several give each architecture's layers together, a layer name they share in one panel).
        var panelKeys: [(index: Int, name: String, reduction: String)] = []
        for group in comparison.groups {
            let layers = group.layers.sorted { ($0.layerIndex, $0.reduction) < ($1.layerIndex, $1.reduction) }
            for layer in layers where !panelKeys.contains(where: { $0.name == layer.layerName
                                                                   && $0.reduction == layer.reduction }) {
                panelKeys.append((layer.layerIndex, layer.layerName, layer.reduction))
            }
        }
        // The legend names the chosen group keys when there are some, else what differs between the lines.
        let legendNames: [String]
        if case .keys(let keys) = comparison.grouping { legendNames = keys } else { legendNames = comparison.parameterNames }
        let showSeed = comparison.grouping == .none && Set(comparison.groups.compactMap { $0.runs.first?.seed }).count > 1
        let grouped = comparison.grouping != .none

        let panels = panelKeys.map { key -> Panel in
            var panel = Panel(title: key.reduction == "none" ? key.name : "\(key.name) (\(key.reduction))",
                              xAxis: Axis(label: xLabel(options.xAxis), scale: options.xAxis == .logStep ? .log : .linear),
                              yAxis: Axis(label: comparison.statistic))
            var floors: [Double] = []
            for (position, group) in comparison.groups.enumerated() {
                guard let layer = group.layers.first(where: { $0.layerName == key.name && $0.reduction == key.reduction })
                else { continue }
                let runs = layer.records.compactMap { record in
                    seriesByKey[SeriesKey(runID: record.runID, layer: key.name, reduction: key.reduction)]
                }
                guard !runs.isEmpty else { continue }
                let label = ReportText.legendLabel(group, parameterNames: legendNames, showSeed: showSeed)
                let line = Line(runs: runs, xAxis: options.xAxis, clocks: clocks)
                var meanLine: (steps: [Int], values: [Double?])?
                if grouped {
                    let spread = SeriesSpread(runs.map { (steps: $0.steps, values: $0.values) })
                    meanLine = (spread.steps, spread.mean)
                    let band: Band
                    switch options.band {
                    case .minmax:
                        band = Band(lower: spread.minimum, upper: spread.maximum)
                    case .sd:
                        band = Band(lower: zip(spread.mean, spread.standardDeviation).map { mean, sd in
                                        mean.flatMap { m in sd.map { m - $0 } } },
                                    upper: zip(spread.mean, spread.standardDeviation).map { mean, sd in
                                        mean.flatMap { m in sd.map { m + $0 } } })
                    }
                    panel.series.append(Series(label: label, x: spread.steps.map { line.x(Double($0)) ?? .nan },
                                               y: spread.mean, band: band, style: position))
                } else {
                    let run = runs[0]
                    panel.series.append(Series(label: label, x: run.steps.map { line.x(Double($0)) ?? .nan },
                                               y: run.values, style: position))
                }

                // The peak and the phases around it, when the line's (most common) class is rise_then_decay.
                let peakStep = layer.phases.mostCommonClass?.phaseClass == .riseThenDecay
                    ? (grouped ? layer.phases.medianPeakStep : layer.records.first?.peakStep) : nil
                let peakValue = meanLine.flatMap { line in peakStep.flatMap { interpolate(line.steps, line.values, at: $0) } }
                    ?? (grouped ? nil : layer.records.first?.peakValue)
                if let peakStep, let peakValue, let peakX = line.x(peakStep) {
                    panel.markers.append(Marker(x: peakX, y: peakValue, label: "detected peak", style: position))
                    let steps = runs.flatMap(\.steps)
                    if let first = steps.min().flatMap({ line.x(Double($0)) }) {
                        panel.spans.append(ShadedSpan(from: first, to: peakX, label: "rise", fill: .solid))
                    }
                    if let last = steps.max().flatMap({ line.x(Double($0)) }) {
                        panel.spans.append(ShadedSpan(from: peakX, to: last, label: "decay", fill: .hatched))
                    }
                }
                for floor in layer.records.compactMap(\.noiseFloor) where floor.isFinite {
                    if !floors.contains(where: { abs($0 - floor) <= 1e-12 * max(1, abs(floor)) }) { floors.append(floor) }
                }
            }
            panel.referenceLines = floors.sorted().map { ReferenceLine(y: $0, label: "noise floor (independent units)") }
            return panel
        }
        let title = options.title ?? "\(comparison.statistic) by layer"
        return Figure(title: title, panels: panels, columns: min(options.columns, max(1, panels.count)),
                      identifier: options.identifier)
    }

    /// The value of a line at a fractional step: linear between the neighbouring steps with values; nil outside
    /// them.
    static func interpolate(_ steps: [Int], _ values: [Double?], at step: Double) -> Double? {
        let points = zip(steps, values).compactMap { step, value in value.map { (Double(step), $0) } }
        guard let upper = points.firstIndex(where: { $0.0 >= step }) else { return nil }
        if points[upper].0 == step { return points[upper].1 }
        guard upper > 0 else { return nil }
        let (a, b) = (points[upper - 1], points[upper])
        return a.1 + (step - a.0) / (b.0 - a.0) * (b.1 - a.1)
    }

    /// The x axis's label.
    public static func xLabel(_ axis: PlotXAxis) -> String {
        switch axis {
        case .step: "step"
        case .logStep: "1 + step (log scale)"
        case .epoch: "epoch"
        case .wall: "wall time (s)"
        }
    }

    struct SeriesKey: Hashable {
        let runID: Int64
        let layer: String
        let reduction: String
    }

    /// Steps of a line (a run, or a group's runs) as x values.
    struct Line {
        let xAxis: PlotXAxis
        /// Steps per epoch (the first run's that has one).
        let stepsPerEpoch: Int?
        /// Wall time at each snapshot step, averaged over the runs that have it, as (step, seconds) ascending.
        let wallTimes: [(step: Double, seconds: Double)]

        init(runs: [SnapshotSeries], xAxis: PlotXAxis, clocks: [Int64: SnapshotClock]) {
            self.xAxis = xAxis
            stepsPerEpoch = runs.lazy.compactMap { clocks[$0.runID]?.stepsPerEpoch }.first { $0 > 0 }
            var sums: [Int: (Double, Int)] = [:]
            for run in runs {
                for (step, seconds) in clocks[run.runID]?.wallTimes ?? [:] {
                    let entry = sums[step] ?? (0, 0)
                    sums[step] = (entry.0 + seconds, entry.1 + 1)
                }
            }
            wallTimes = sums.keys.sorted().map { (Double($0), sums[$0]!.0 / Double(sums[$0]!.1)) }
        }

        /// The x of a (possibly fractional) step; nil when the axis has no value for it (no epoch length, no wall
        /// time around it).
        func x(_ step: Double) -> Double? {
            switch xAxis {
            case .step: return step
            case .logStep: return step + 1
            case .epoch: return stepsPerEpoch.map { step / Double($0) }
            case .wall:
                // Linear between the neighbouring snapshot steps (a fractional peak step falls between two).
                guard let upper = wallTimes.firstIndex(where: { $0.step >= step }) else { return nil }
                if wallTimes[upper].step == step || upper == 0 {
                    return wallTimes[upper].step == step ? wallTimes[upper].seconds : nil
                }
                let a = wallTimes[upper - 1], b = wallTimes[upper]
                return a.seconds + (step - a.step) / (b.step - a.step) * (b.seconds - a.seconds)
            }
        }
    }
}
