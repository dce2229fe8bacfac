// The HTML report of `tracker reproduce`: the verdict table as a section, and the page around it (self-contained).
import Foundation
import TrackerExperiments
import TrackerPlot
import TrackerReport
import TrackerStore

/// The report `tracker reproduce` writes.
///
/// The verdict is a section (a title and a trusted HTML fragment, every stored string escaped) so that the full
/// report (`TrackerReport.ReportBuilder.html(database:runIDs:title:leadingSections:)`) can lead with it: ``page``
/// is the one place that builds the page around it.
enum StudyReportPage {
    /// A report that could not be written, in one line.
    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    /// The verdict table as a section: a caption saying how to read it, the table, the conditions with their flags,
    /// and the command that made it.
    static func verdictSection(_ table: ResultTable, study: ReproductionStudy, commandLine: String)
        -> (title: String, html: String) {
        let numeric = TableWriter.numericColumns(table)
        var html = "<p>The claim: a hidden layer's mean |r| rises from the start, peaks early, then decays. "
            + "\(study.conditions.count) conditions × \(study.seeds) seed(s), \(study.epochs) epochs on "
            + "\(escape(study.data)), snapshots every \(study.snapshotEvery) steps after the early log-spaced ones. "
            + "<code>rise_then_decay</code> k/N: seeds in that class; <code>peak_step</code>: their median peak step, "
            + "with its percentile-bootstrap 95 % interval; <code>rise</code>, <code>decay</code>: (peak − start) and "
            + "(peak − final) in noise floors √(2/(πP)), P the probe samples; <code>verdict</code>: follows (k ≥ 0.8 N), partly, does not "
            + "follow (k = 0), undetermined.</p>\n"
        html += "<table class=\"verdicts\">\n<thead><tr>"
            + table.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            let verdict = row.last.map(TableWriter.humanText) ?? ""
            html += "<tr class=\"\(escape(verdict.replacingOccurrences(of: " ", with: "-")))\">"
            for (index, value) in row.enumerated() {
                html += (numeric[index] ? "<td class=\"number\">" : "<td>") + escape(TableWriter.humanText(value))
                    + "</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody>\n</table>\n<table class=\"conditions\">\n<thead><tr><th>condition</th><th>what</th>"
            + "<th>tracker run flags (besides --data, --epochs, --snapshot-every)</th></tr></thead>\n<tbody>\n"
        for condition in study.conditions {
            // A boolean setting is a bare flag on tracker run's command line.
            let flags = condition.settings.map { $0.value == "true" ? "--\($0.key)" : "--\($0.key) \($0.value)" }
                .joined(separator: " ")
            html += "<tr><td>\(escape(condition.name))</td><td>\(escape(condition.summary))</td>"
                + "<td><code>\(escape(flags))</code></td></tr>\n"
        }
        html += "</tbody>\n</table>\n<p>Re-run: <code>\(escape(commandLine))</code> (finished runs are kept; only "
            + "missing ones train).</p>\n"
        return ("Verdict per condition and layer", html)
    }

    /// Writes the report: the page around the verdict section, for the runs of the study.
    ///
    /// - Throws: ``WriteError`` when the file cannot be written; store errors.
    static func write(to path: String, database: TrackerDatabase, runIDs: [Int64], title: String,
                      verdict: (title: String, html: String)) throws {
        let html = try page(database: database, runIDs: runIDs, title: title, leadingSections: [verdict])
        guard FileManager.default.createFile(atPath: path, contents: Data(html.utf8)) else {
            throw WriteError(description: "cannot write the report to \(path)")
        }
    }

    /// The page: the full report of the study's runs (``ReportBuilder``), led by the given sections.
    static func page(database: TrackerDatabase, runIDs: [Int64], title: String,
                     leadingSections: [(title: String, html: String)]) throws -> String {
        try ReportBuilder.html(database: database, runIDs: runIDs, title: title,
                               leadingSections: leadingSections.map { ReportSection(title: $0.title, html: $0.html) })
    }

    /// Text as HTML (``XMLText/escape(_:)``): stored strings cannot open tags or attributes.
    static func escape(_ text: String) -> String { XMLText.escape(text) }
}
