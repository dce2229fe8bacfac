// `tracker report [RUN... | --where EXPR] --out report.html`: one self-contained HTML page about stored runs.
import ArgumentParser
import Foundation
import TrackerReport
import TrackerStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about runs: comparison, phases, figures, settings, how to re-run.",
        discussion: """
            The page holds the runs compared (as `tracker compare`: seeds pooled), the phase table (as `tracker \
            phases`), a figure per snapshot statistic the runs stored (mean_abs_r first; a panel per probed layer), \
            every hyperparameter, and for each run the `tracker run` command line that trains it again, with its \
            stored configuration. Figures are inline SVG and the styles inline CSS: no scripts, no network, nothing \
            beside the file, so it opens in a browser from an archive. Phases are detected and stored as by \
            `tracker compare`. The file is written whole or not at all.

            Examples:
              tracker report --out report.html
              tracker report 1 2 3 --out runs.html --title "Learning rates on mnist-5k"
              tracker report --where "tag = 'sweep1'" --out sweep1.html
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("Runs: integer ids or uuid prefixes (or --where; neither for every run).",
                                 valueName: "run"))
    var references: [String] = []

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Report the runs this filter selects, e.g. \"lr > 0.01 AND status = 'finished'\" (see tracker runs --help).",
        valueName: "expression"))
    var filter: String?

    @Option(help: "The page's title.")
    var title = "tracker report"

    @Option(help: ArgumentHelp("The HTML file to write (.html or .htm).", valueName: "file"))
    var out: String

    func validate() throws {
        if filter != nil && !references.isEmpty { throw ValidationError("give runs or --where, not both") }
        let suffix = (out as NSString).pathExtension.lowercased()
        guard suffix == "html" || suffix == "htm" else {
            throw ValidationError("--out: the report is HTML: the file name must end in .html or .htm ('\(out)')")
        }
    }

    func run() throws {
        try OutputFile.checkWritable(out)
        let (store, runIDs) = try RunSelection.open(database, references: references, filter: filter)
        let html = try ReportBuilder.html(database: store, runIDs: runIDs, title: title)
        try OutputFile.write(Data(html.utf8), to: out)
        FileHandle.standardError.write(Data("wrote \(out): \(runIDs.count) run\(runIDs.count == 1 ? "" : "s")\n".utf8))
    }
}
