// The HTML report of `tracker reproduce`: the verdict table as a section, and the page around it (self-contained).
import Foundation
import TrackerExperiments
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

    /// The page: the title, the sections, then the runs (id, name, architecture, data, seed, status, test
    /// accuracy). Inline CSS, no script, no link: it reads offline, years later.
    static func page(database: TrackerDatabase, runIDs: [Int64], title: String,
                     leadingSections: [(title: String, html: String)]) throws -> String {
        let runs = try database.runFacts(runIDs)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(title))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
            th, td { padding: 0.2em 0.5em; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            tr.follows td:last-child { color: #1b7837; font-weight: bold; }
            tr.partly td:last-child { color: #b35806; font-weight: bold; }
            tr.does-not-follow td:last-child { color: #762a83; font-weight: bold; }
            code { background: #f4f4f4; padding: 0 0.2em; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p>Written \(escape(ISO8601DateFormatter().string(from: Date()))) by tracker \(escape(TrackerVersion.current)) from \
            \(escape(database.path)), \(runs.count) run(s).</p>

            """
        for section in leadingSections {
            html += "<section>\n<h2>\(escape(section.title))</h2>\n\(section.html)</section>\n"
        }
        html += "<section>\n<h2>Runs</h2>\n<table>\n<thead><tr><th>run</th><th>name</th><th>architecture</th>"
            + "<th>data</th><th>seed</th><th>status</th><th>test accuracy</th></tr></thead>\n<tbody>\n"
        for run in runs {
            let accuracy = run.testAccuracy.map { String(format: "%.4f", $0) } ?? ""
            html += "<tr><td class=\"number\">\(run.id)</td><td>\(escape(run.name ?? ""))</td>"
                + "<td>\(escape(run.architecture))</td><td>\(escape(run.dataset))</td>"
                + "<td class=\"number\">\(run.seed)</td><td>\(escape(run.status))</td>"
                + "<td class=\"number\">\(accuracy)</td></tr>\n"
        }
        html += "</tbody>\n</table>\n</section>\n</body>\n</html>\n"
        return html
    }

    /// Text as HTML: `&`, `<`, `>`, `"` and `'` escaped, so stored strings cannot open tags or attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
