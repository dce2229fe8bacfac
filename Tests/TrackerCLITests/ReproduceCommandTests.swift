// tracker reproduce end to end on a tiny study: the verdict table against the stored phases, the report, resuming
// (after a finished and after an interrupted attempt), and bad input.
import Foundation
import Testing

@Suite(.serialized) struct ReproduceCommandTests {
    /// Two of the study's conditions, 2 seeds, 2 epochs of digits: 4 short runs.
    static let tinyStudy = ["reproduce", "--data", "digits", "--epochs", "2", "--seeds", "2", "--only", "mlp",
                            "--only", "mlp-decov-0.1", "--jobs", "2"]

    /// The CSV lines of `tracker sql QUERY`, header first.
    func rows(_ workspace: Workspace, _ query: String) throws -> [[String]] {
        let result = try workspace.tracker("sql", query, "--format", "csv")
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The median of values (the mean of the middle two for an even count).
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    @Test func theVerdictTableSummarisesTheStoredPhasesAndTheReportHoldsIt() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let result = try TrackerProcess.run(Self.tinyStudy + ["--format", "csv", "--out", "study.html"], in: workspace.url)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("reproduce: 2 conditions × 2 seed(s) = 4 runs of 2 epochs on digits, 0 "
                                               + "finished earlier; running 4 on 2 worker(s) of 1 BLAS thread(s)\n"))
        #expect(result.standardError.contains("reproduce: 4/4 runs finished, verdicts for 6 layer rows; wrote study.html in "))
        let table = result.standardOutput.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(table.first == ["condition", "layer", "reduction", "rise_then_decay", "classes", "peak_step", "ci_low",
                                "ci_high", "rise", "decay", "verdict"])

        // Every run is a finished member of its condition's sweep, tagged, with its settings.
        #expect(try rows(workspace, """
            SELECT s.name, count(*), sum(r.status = 'finished'), min(r.seed), max(r.seed)
            FROM sweep_runs l JOIN sweeps s ON s.uuid = l.sweep_uuid JOIN runs r ON r.id = l.run_id GROUP BY s.name ORDER BY 1
            """).dropFirst() == [["reproduce-mlp", "2", "2", "0", "1"], ["reproduce-mlp-decov-0.1", "2", "2", "0", "1"]])
        #expect(try rows(workspace, "SELECT count(*) FROM tags WHERE tag = 'reproduce'")
                .last == ["4"])

        // The stored phases, grouped as the table groups them.
        let stored = try rows(workspace, """
            SELECT s.name, y.name, p.reduction, p.phase_class, p.peak_step, p.peak_value, p.start_value, p.final_value,
                   p.noise_floor
            FROM phase_results p JOIN sweep_runs l ON l.run_id = p.run_id JOIN sweeps s ON s.uuid = l.sweep_uuid
            JOIN runs r ON r.id = p.run_id JOIN layers y ON y.architecture_id = r.architecture_id AND y.layer_index = p.layer_index
            WHERE p.statistic = 'mean_abs_r' ORDER BY s.name = 'reproduce-mlp' DESC, p.layer_index, p.run_id
            """).dropFirst()
        var groups: [[String]: [[String]]] = [:]
        var order: [[String]] = []
        for row in stored {
            let key = [String(row[0].dropFirst("reproduce-".count)), row[1], row[2]]
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        #expect(order.map { $0[0] + " " + $0[1] } == ["mlp dense1", "mlp dense2", "mlp dense3", "mlp-decov-0.1 dense1",
                                                      "mlp-decov-0.1 dense2", "mlp-decov-0.1 dense3"])
        #expect(table.count == 1 + order.count)
        for (line, key) in zip(table.dropFirst(), order) {
            let seeds = groups[key]!
            let peaked = seeds.filter { $0[3] == "rise_then_decay" }
            #expect(Array(line[0...2]) == key)
            #expect(line[3] == "\(peaked.count)/\(seeds.count)")
            // Every seed's class, counted, in the detector's order.
            let order = ["rise_then_decay", "rise", "decay", "flat", "insufficient", "non_finite"]
            let counted = order.compactMap { name -> String? in
                let count = seeds.filter { $0[3] == name }.count
                return count > 0 ? "\(name) \(count)" : nil
            }
            #expect(line[4] == counted.joined(separator: "; "), "\(key)")
            // The rule, written out: all of 2 seeds follows, 1 is partly, 0 does not follow.
            let expected = peaked.count == 2 ? "follows" : peaked.count == 1 ? "partly" : "does not follow"
            #expect(line[10] == expected, "\(key)")
            if peaked.isEmpty {
                #expect(line[5...9].allSatisfy { $0.isEmpty }, "\(key): no peak, no numbers")
                continue
            }
            let steps = peaked.map { Double($0[4])! }
            #expect(abs(Double(line[5])! - median(steps)) <= 0.05 + 1e-9, "\(key): median peak step")
            let floor = Double(peaked[0][8])!
            #expect(abs(floor - (2 / (Double.pi * 256)).squareRoot()) < 1e-12, "the noise floor of 256 probe samples")
            let rise = median(peaked.map { (Double($0[5])! - Double($0[6])!) / floor })
            let decay = median(peaked.map { (Double($0[5])! - Double($0[7])!) / floor })
            #expect(abs(Double(line[8])! - rise) <= 0.005 + 1e-9, "\(key): rise in floors")
            #expect(abs(Double(line[9])! - decay) <= 0.005 + 1e-9, "\(key): decay in floors")
            if peaked.count == 2 {
                // A percentile bootstrap of a median of two lies between them, around their mean.
                let low = Double(line[6])!, high = Double(line[7])!
                #expect(low >= steps.min()! - 0.05 && low <= median(steps) + 0.05)
                #expect(high <= steps.max()! + 0.05 && high >= median(steps) - 0.05)
            } else {
                #expect(line[6].isEmpty && line[7].isEmpty, "\(key): one peak, no interval")
            }
        }

        // The report: self-contained, the same rows, stored strings escaped.
        let html = try String(contentsOf: workspace.url.appending(path: "study.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("<h2>Verdict per condition and layer</h2>"))
        for line in table.dropFirst() {
            #expect(html.contains("<td>\(line[0])</td><td>\(line[1])</td><td>\(line[2])</td><td>\(line[3])</td>"))
        }
        #expect(html.components(separatedBy: "<tr class=").count - 1 == order.count)
        #expect(html.contains("<tr><td>mlp-decov-0.1</td><td>MLP, DeCov λ = 0.1</td><td><code>--arch "
                              + "dense256-relu-dense256-relu-dense128-relu --decov 0.1</code></td></tr>"))
        #expect(html.contains("<td>reproduce-mlp-decov-0.1 seed=1</td>"), "the runs are listed by name")
    }

    @Test func runningTheSameStudyAgainTrainsNothingAndAfterAnInterruptionOnlyTheRest() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let first = try TrackerProcess.run(Self.tinyStudy, in: workspace.url)
        #expect(first.status == 0, "\(first.standardError)")
        let again = try TrackerProcess.run(Self.tinyStudy, in: workspace.url)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardError.hasPrefix("reproduce: 2 conditions × 2 seed(s) = 4 runs of 2 epochs on digits, 4 "
                                              + "finished earlier; running 0 on 2 worker(s)"))
        #expect(again.standardOutput == first.standardOutput, "the same runs, the same verdicts")
        #expect(try rows(workspace, "SELECT count(*) FROM runs").last == ["4"])

        // Interrupted after a run or more: the next attempt trains only the runs not finished.
        let study = ["reproduce", "--data", "digits", "--epochs", "6", "--seeds", "2", "--only", "mlp", "--only",
                     "mlp-decov-1", "--jobs", "1", "--db", "stopped.sqlite"]
        let stopped = try TrackerProcess.start(study, in: workspace.url)
        var finishedFirst: [String] = []
        for _ in 0..<600 {
            if FileManager.default.fileExists(atPath: workspace.path("stopped.sqlite")) {
                let finished = try workspace.tracker("sql", "SELECT id FROM runs WHERE status = 'finished' ORDER BY id",
                                                     "--db", "stopped.sqlite", "--format", "csv")
                finishedFirst = finished.standardOutput.split(separator: "\n").dropFirst().map(String.init)
                if !finishedFirst.isEmpty { break }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(stopped.0.processIdentifier, SIGINT)
        let interrupted = TrackerProcess.finish(stopped)
        let statuses = try workspace.tracker("sql", "SELECT id, status FROM runs ORDER BY id", "--db", "stopped.sqlite",
                                             "--format", "csv").standardOutput.split(separator: "\n").dropFirst()
        let finished = statuses.filter { $0.hasSuffix(",finished") }.map { String($0.split(separator: ",")[0]) }
        #expect(finished.count >= 1 && finished.count <= 4)
        if finished.count < 4 {
            #expect(interrupted.status == 130, "\(interrupted.standardError)")
            #expect(interrupted.standardError.hasSuffix("reproduce: stopped; the same command resumes where it stopped\n"))
        }
        let resumed = try TrackerProcess.run(study, in: workspace.url)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.hasPrefix("reproduce: 2 conditions × 2 seed(s) = 4 runs of 6 epochs on digits, "
                                                + "\(finished.count) finished earlier; running \(4 - finished.count) on"))
        let after = try workspace.tracker("sql", "SELECT id FROM runs WHERE status = 'finished' ORDER BY id", "--db",
                                          "stopped.sqlite", "--format", "csv").standardOutput.split(separator: "\n")
            .dropFirst().map(String.init)
        #expect(after.count == 4 && Array(after.prefix(finished.count)) == finished, "finished runs are kept, not re-run")
    }

    @Test func badInputIsOneClearLineAndANonZeroExit() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let cases: [([String], Int32, String)] = [
            (["--seeds", "0"], 64, "Error: --seeds must be at least 1, got 0"),
            (["--seeds", "many"], 64, "Error: The value 'many' is invalid for '--seeds <seeds>'"),
            (["--jobs", "0"], 64, "Error: --jobs must be at least 1, got 0"),
            (["--data", "nosuch"], 64, "Error: --data: unknown data set 'nosuch': not a bundled data set (digits, "
                + "mnist-5k), not synthetic:KIND, and no file or directory by that name"),
            (["--out", "missing/report.html"], 1, "Error: cannot write the report to missing/report.html: no folder "),
            (["--out", "."], 1, "Error: cannot write the report to .: a folder"),
        ]
        for (arguments, status, message) in cases {
            let result = try TrackerProcess.run(["reproduce", "--quick", "--data", "digits"] + arguments, in: workspace.url)
            #expect(result.status == status, "\(arguments): \(result.standardError)")
            #expect(result.standardError.hasPrefix(message), "\(arguments): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")),
                    "\(arguments): nothing is trained or written")
        }
        let help = try workspace.tracker("reproduce", "--help")
        #expect(help.status == 0)
        let helpText = help.standardOutput.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        for text in ["--quick", "--seeds", "--data", "--db", "--out", "--jobs", "--format", "tracker reproduce --quick",
                     "sqrt(2 / (pi P))", "does not follow"] {
            #expect(helpText.contains(text), "reproduce --help shows \(text)")
        }
        #expect(!help.standardOutput.contains("--only") && !help.standardOutput.contains("--epochs"))
    }
}
