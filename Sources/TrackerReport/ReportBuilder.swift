// The self-contained HTML report of stored runs: the comparison, the phases, a figure per statistic, the
// hyperparameters and the command that re-runs each run, in one file with inline CSS and SVG.
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerPlot
import TrackerStore

/// A block of the report made elsewhere (e.g. `tracker reproduce`'s verdict table), placed before the standard ones.
public struct ReportSection: Sendable {
    public var title: String
    /// A trusted HTML fragment: its maker escapes every stored string in it (``XMLText/escape(_:)``).
    public var html: String

    public init(title: String, html: String) {
        self.title = title
        self.html = html
    }
}

/// A report that cannot be made, in one line.
public enum ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// None of the run ids names a run.
    case noRuns

    public var description: String {
        switch self {
        case .noRuns: "no runs to report"
        }
    }
}

/// Builds the HTML report.
///
/// The page needs nothing but itself: no network, no script, no font or image files; the figures are inline SVG and
/// the styles one `<style>` element, so it opens in any browser from an archive. Every stored string (names, tags,
/// architectures, hyperparameter values, configurations) is escaped. The same database and runs give the same bytes.
public enum ReportBuilder {
    /// The report of `runIDs` (in id order; ids that name no run are left out).
    ///
    /// Sections, in order: `leadingSections`; "Runs compared" (as `tracker compare`: seeds pooled, what differs);
    /// "Phases" (as `tracker phases`: one row per run and layer); "Figures" (one per statistic the runs stored,
    /// `mean_abs_r` first, a panel per probed layer: a line per run, or a mean line with a min–max band per
    /// configuration when seeds repeat); "Hyperparameters" (every run, every key); "How to re-run" (a `tracker run`
    /// command line per run, from its stored configuration, and the configuration itself).
    ///
    /// Phases are detected with the default parameters and stored where missing or stale, as `tracker compare`
    /// does: open the database with `openForAnalysis`.
    ///
    /// - Throws: ``ReportError/noRuns`` when no id names a run; store errors.
    public static func html(database: TrackerDatabase, runIDs: [Int64], title: String,
                            leadingSections: [ReportSection] = []) throws -> String {
        let runs = try database.runFacts(Array(Set(runIDs)).sorted())
        guard !runs.isEmpty else { throw ReportError.noRuns }
        let ids = runs.map(\.id)
        let statistics = orderedStatistics(try database.storedStatistics(runIDs: ids))
        let comparison = try RunComparison.compare(ids, in: database, options: ComparisonOptions(grouping: .seeds))
        let pooled = comparison.groups.contains { $0.runs.count > 1 }

        var sections: [(id: String, title: String, html: String)] = []
        for (index, section) in leadingSections.enumerated() {
            sections.append(("section-\(index + 1)", section.title, section.html))
        }
        sections.append(("runs", "Runs compared", comparisonTable(comparison)))
        sections.append(("phases", "Phases", phaseTable(comparison)))
        var figures = ""
        for statistic in statistics {
            let figure = try RunFigures.figure(
                ids, in: database,
                options: PlotOptions(statistic: statistic.name, grouping: pooled ? .seeds : .none,
                                     title: "\(statistic.name) by layer", identifier: "figure-\(statistic.name)"))
            if figure.panels.isEmpty { continue }
            figures += "<figure class=\"plot\" id=\"figure-\(XMLText.identifier(statistic.name))\" "
                + "data-panels=\"\(figure.panels.count)\">\n" + SVGRenderer.svg(figure, namespace: false)
                + "<figcaption><strong>\(XMLText.escape(statistic.name))</strong>: "
                + "\(XMLText.escape(statistic.definition)) (\(XMLText.escape(statistic.unit))). "
                + (pooled ? "Mean over the seeds of each configuration, band from the smallest to the largest. " : "")
                + "Marked: the detected peak; shaded: rise (plain) and decay (hatched)"
                + (statistic.hasNoiseFloor ? "; dashed: the level of independent units." : ".")
                + "</figcaption>\n</figure>\n"
        }
        if figures.isEmpty { figures = "<p>The runs have no snapshots.</p>\n" }
        sections.append(("figures", "Figures", figures))
        sections.append(("hyperparameters", "Hyperparameters", hyperparameterTable(runs)))
        sections.append(("rerun", "How to re-run", try rerunList(runs, database: database)))

        let escapedTitle = XMLText.escape(title)
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="tracker report">
            <title>\(escapedTitle)</title>
            <style>
            \(stylesheet)
            </style>
            </head>
            <body>
            <header>
            <h1>\(escapedTitle)</h1>
            <p class="summary">\(runs.count) run\(runs.count == 1 ? "" : "s") (\(ReportText.idRanges(ids))) from \
            <code>\(XMLText.escape((database.path as NSString).lastPathComponent))</code>; \
            phases by detector \(XMLText.escape(comparison.detectorVersion)) \
            (k = \(ReportText.significant(comparison.detectorParameters.noiseMultiplier, 4)), \
            δ = \(ReportText.significant(comparison.detectorParameters.minimumAmplitude, 4))).</p>
            <nav><ol>

            """
        for section in sections {
            page += "<li><a href=\"#\(section.id)\">\(XMLText.escape(section.title))</a></li>\n"
        }
        page += "</ol></nav>\n</header>\n<main>\n"
        for section in sections {
            page += "<section id=\"\(section.id)\">\n<h2>\(XMLText.escape(section.title))</h2>\n\(section.html)</section>\n"
        }
        page += "</main>\n<footer><p>Made by <code>tracker report</code>: one file, no scripts, no external "
            + "resources.</p></footer>\n</body>\n</html>\n"
        return page
    }

    /// The statistics to draw: scalar registry statistics among `stored`, `mean_abs_r` first, then in registry
    /// order.
    static func orderedStatistics(_ stored: [String]) -> [SnapshotStatistic] {
        let scalars = SnapshotStatistic.scalars.filter { stored.contains($0.name) }
        return scalars.filter { $0.name == "mean_abs_r" } + scalars.filter { $0.name != "mean_abs_r" }
    }

    // MARK: Tables

    /// An HTML table; `numeric` columns are right-aligned. Cells are escaped here.
    static func table(_ columns: [String], _ rows: [[String]], numeric: Set<Int> = [], caption: String? = nil) -> String {
        var html = "<div class=\"table\"><table>\n"
        if let caption { html += "<caption>\(XMLText.escape(caption))</caption>\n" }
        html += "<thead><tr>" + columns.enumerated().map { index, name in
            "<th\(numeric.contains(index) ? " class=\"number\"" : "")>\(XMLText.escape(name))</th>"
        }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in
                "<td\(numeric.contains(index) ? " class=\"number\"" : "")>\(XMLText.escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    /// The `tracker compare` table: parameters that differ, runs, n, test accuracy, then per layer the most common
    /// phase class, median peak step [95 % CI], peak, decay fraction and final value (mean ± sd), and the status.
    static func comparisonTable(_ comparison: Comparison) -> String {
        let columns = comparison.parameterNames + ["runs", "n", "test_accuracy", "layer", "class", "peak_step",
                                                   "peak", "decay_fraction", "final", "status"]
        var rows: [[String]] = []
        for group in comparison.groups {
            let head = comparison.parameterNames.map { ReportText.parameter(group.parameters[$0]) }
                + [ReportText.idRanges(group.runIDs), "\(group.runs.count)", ReportText.summary(group.testAccuracy)]
            let layers: [LayerComparison?] = group.layers.isEmpty ? [nil] : group.layers
            for layer in layers {
                let name = layer.map { $0.reduction == "none" ? $0.layerName : "\($0.layerName) (\($0.reduction))" }
                rows.append(head + [name ?? "", ReportText.phaseClass(layer), ReportText.peakStep(layer?.phases),
                                    ReportText.summary(layer?.peakValue), ReportText.summary(layer?.decayFraction),
                                    ReportText.summary(layer?.finalValue), ReportText.status(group)])
            }
        }
        let numeric = Set(comparison.parameterNames.indices.filter { index in
            comparison.groups.allSatisfy { group in
                switch group.parameters[comparison.parameterNames[index]] {
                case .value(.integer), .value(.real), .value(.null), nil: true
                default: false
                }
            }
        }).union(Set([1, 2, 5, 6, 7, 8].map { $0 + comparison.parameterNames.count }))
        let note = comparison.groups.count < comparison.groups.reduce(0) { $0 + $1.runs.count }
            ? "Runs identical but for their seed are pooled: mean ± sd over the seeds, the most common phase class "
                + "with how many runs have it, the median peak step with its percentile-bootstrap 95 % interval."
            : "One row per run and probed layer."
        return "<p>\(XMLText.escape(note)) Statistic: <code>\(XMLText.escape(comparison.statistic))</code>.</p>\n"
            + table(columns, rows, numeric: numeric)
    }

    /// One row per run and probed layer, as `tracker phases`.
    static func phaseTable(_ comparison: Comparison) -> String {
        let records = comparison.groups.flatMap { $0.layers.flatMap(\.records) }
            .sorted { ($0.runID, $0.layerIndex, $0.reduction) < ($1.runID, $1.layerIndex, $1.reduction) }
        func real(_ value: Double?) -> String { value.map { ReportText.significant($0, 4) } ?? "" }
        let rows = records.map { record -> [String] in
            [String(record.runID), record.reduction == "none" ? record.layerName : "\(record.layerName) (\(record.reduction))",
             record.phaseClass, record.peakStep.map { String(Int($0.rounded())) } ?? "", real(record.peakValue),
             real(record.startValue), real(record.riseAmplitude), real(record.decayFraction),
             record.halfDecayStep.map(String.init) ?? "", real(record.finalValue), real(record.noiseSigma),
             real(record.noiseFloor)]
        }
        return "<p>Smoothed on a log(1 + step) axis; a rise and a decay count when each exceeds max(k σ, δ). "
            + "Statistic: <code>\(XMLText.escape(comparison.statistic))</code>.</p>\n"
            + table(["run", "layer", "class", "peak_step", "peak", "start", "rise", "decay_fraction", "half_decay_step",
                     "final", "noise_sigma", "noise_floor"], rows, numeric: Set([0] + Array(3...11)))
    }

    /// Every run with its architecture, data set, seed, status, test accuracy and every hyperparameter.
    static func hyperparameterTable(_ runs: [RunFacts]) -> String {
        let keys = Set(runs.flatMap(\.hyperparameters.keys)).sorted()
        let rows = runs.map { run -> [String] in
            [String(run.id), run.name ?? "", run.architecture, run.dataset, String(run.seed), run.status,
             run.testAccuracy.map { ReportText.significant($0, 4) } ?? ""]
                + keys.map { ReportText.value(run.hyperparameters[$0] ?? .null) }
        }
        let numeric = Set([0, 4, 6]).union(Set(keys.indices.filter { index in
            runs.allSatisfy { run in
                switch run.hyperparameters[keys[index]] ?? .null {
                case .integer, .real, .null: true
                default: false
                }
            }
        }.map { $0 + 7 }))
        return table(["run", "name", "arch", "dataset", "seed", "status", "test_accuracy"] + keys, rows, numeric: numeric)
    }

    /// Per run: the `tracker run` command line from its stored configuration, and the configuration as YAML (for
    /// `tracker run --config`); for a run recorded before configurations were stored, the command line it recorded.
    static func rerunList(_ runs: [RunFacts], database: TrackerDatabase) throws -> String {
        var html = "<p>Each command trains the run again into <code>tracker.sqlite</code> (add <code>--db FILE</code> "
            + "for another file); the same seed, settings and thread count give the same numbers. Settings at this "
            + "version's defaults are left out; the stored configuration below lists them all "
            + "(<code>tracker run --config FILE</code> reads it).</p>\n<dl class=\"rerun\">\n"
        for run in runs {
            let stored = try database.storedConfiguration(of: run.id)
            html += "<dt id=\"run-\(run.id)\">run \(run.id)\(run.name.map { " (" + XMLText.escape($0) + ")" } ?? "") "
                + "<span class=\"muted\">\(XMLText.escape(run.uuid)), tracker \(XMLText.escape(stored.trackerVersion))"
                + "</span></dt>\n<dd>"
            if let text = stored.configuration {
                do {
                    let line = try RunCommandLine(storedConfiguration: text, source: "run \(run.id)'s configuration")
                    html += "<pre class=\"command\"><code>\(XMLText.escape(line.shellCommand()))</code></pre>"
                    if !line.unexpressed.isEmpty {
                        html += "<p>No flag gives the stored value of "
                            + XMLText.escape(line.unexpressed.joined(separator: ", "))
                            + ": run with the configuration below.</p>"
                    }
                } catch {
                    html += "<p>This tracker cannot read the stored configuration (\(XMLText.escape(error.description))).</p>"
                }
                html += "<details><summary>stored configuration (YAML)</summary><pre><code>\(XMLText.escape(text))"
                    + "</code></pre></details>"
            } else {
                let commandLine = try database.runDetails(run.id).overview.column("command_line")?.first
                    .map(ReportText.value) ?? ""
                html += "<p>Recorded before runs stored their configuration; the command line it recorded:</p>"
                    + "<pre class=\"command\"><code>\(XMLText.escape(commandLine))</code></pre>"
            }
            html += "</dd>\n"
        }
        return html + "</dl>\n"
    }

    /// The page's styles: readable on screen and on paper, nothing loaded from elsewhere.
    static let stylesheet = """
        :root { color-scheme: light; }
        tr.follows td:last-child { color: #1b7837; font-weight: bold; }
        tr.partly td:last-child { color: #b35806; font-weight: bold; }
        tr.does-not-follow td:last-child { color: #762a83; font-weight: bold; }
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1100px;
               padding: 1rem 1.5rem 3rem; color: #1a1a1a; background: #ffffff; line-height: 1.45; }
        h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
        h2 { font-size: 1.25rem; border-bottom: 1px solid #cccccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
        nav ol { margin: 0.3rem 0; padding-left: 1.4rem; columns: 2; }
        code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86rem; }
        pre { background: #f4f4f4; padding: 0.5rem 0.7rem; overflow-x: auto; white-space: pre-wrap;
              word-break: break-all; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
        th, td { border-bottom: 1px solid #dddddd; padding: 0.2rem 0.55rem; text-align: left; vertical-align: top;
                 white-space: nowrap; }
        th { background: #f0f0f0; }
        td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
        figure.plot { margin: 1.2rem 0; }
        figure.plot svg { max-width: 100%; height: auto; border: 1px solid #eeeeee; }
        figcaption { font-size: 0.85rem; color: #333333; margin-top: 0.3rem; }
        dl.rerun dt { font-weight: bold; margin-top: 0.8rem; }
        dl.rerun dd { margin-left: 1rem; }
        .muted { color: #666666; font-weight: normal; font-size: 0.85rem; }
        details summary { cursor: pointer; font-size: 0.85rem; color: #333333; }
        footer { margin-top: 3rem; font-size: 0.8rem; color: #666666; }
        @media print { nav { display: none; } figure.plot { break-inside: avoid; } }
        """
}
