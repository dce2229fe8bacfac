// `tracker compare` and `tracker phases` end to end on four real runs: shapes of every format, values against the
// stored rows, sorting and columns, stored phases reused, recomputed and replaced, and every kind of bad input.
import Foundation
import Testing
import TrackerTestSupport

/// Four runs made by `tracker run`, once, copied into each test's workspace as `runs.sqlite`: learning rate 0.05
/// with seeds 1 and 2 (runs 1, 2), then 0.02 with seeds 1 and 2 (runs 3, 4).
enum CompareFixture {
    struct BuildFailure: Error, Sendable { let message: String }

    static let template: Result<Data, BuildFailure> = {
        do {
            let workspace = try Workspace()
            defer { workspace.cleanup() }
            for (rate, seed) in [("0.05", "1"), ("0.05", "2"), ("0.02", "1"), ("0.02", "2")] {
                let run = try TrackerProcess.run(["run", "--arch", "24,12", "--epochs", "2", "--snapshot-every", "20",
                                                  "--lr", rate, "--seed", seed, "--db", "runs.sqlite"], in: workspace.url)
                guard run.status == 0 else { return .failure(BuildFailure(message: run.standardError)) }
            }
            guard !FileManager.default.fileExists(atPath: workspace.path("runs.sqlite-wal")) else {
                return .failure(BuildFailure(message: "the database was left open"))
            }
            return .success(try Data(contentsOf: URL(fileURLWithPath: workspace.path("runs.sqlite"))))
        } catch {
            return .failure(BuildFailure(message: "\(error)"))
        }
    }()

    /// A workspace holding a fresh copy of the four runs as `runs.sqlite`.
    static func workspace() throws -> Workspace {
        let workspace = try Workspace()
        try template.get().write(to: URL(fileURLWithPath: workspace.path("runs.sqlite")))
        return workspace
    }
}

extension Workspace {
    /// `tracker ARGUMENTS --db runs.sqlite`.
    func onRuns(_ arguments: String...) throws -> Invocation {
        try TrackerProcess.run(arguments + ["--db", "runs.sqlite"], in: url)
    }

    /// Rows of `tracker sql QUERY --format csv` on runs.sqlite, split into fields (no quoted commas expected).
    func sqlRows(_ query: String) throws -> [[String]] {
        let result = try onRuns("sql", query, "--format", "csv")
        return result.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",",
            omittingEmptySubsequences: false).map(String.init) }
    }
}

/// CSV text as a header and rows of named fields (fields hold no commas, or they are quoted and left as is).
func parseCSV(_ text: String) -> (header: [String], rows: [[String: String]]) {
    func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" { quoted.toggle() } else if character == "," && !quoted {
                fields.append(current)
                current = ""
            } else { current.append(character) }
        }
        fields.append(current)
        return fields
    }
    let lines = text.split(separator: "\n")
    guard let first = lines.first else { return ([], []) }
    let header = fields(first)
    return (header, lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, fields($0))) })
}

@Suite(.serialized) struct CompareCommandTests {
    @Test func seedsArePooledAndOnlyWhatDiffersIsShown() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let table = try workspace.onRuns("compare")
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.standardError.isEmpty)
        let lines = table.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + 4, "header, rule, 2 groups × 2 layers")
        #expect(lines[0].split(separator: " ") == ["learning_rate", "runs", "n", "test_accuracy", "layer", "class",
                                                   "peak_step", "peak", "decay_fraction", "final", "status"])
        #expect(lines[2].contains("0.02") && lines[2].contains("3,4") && lines[2].contains("dense1")
                && lines[2].contains("finished") && lines[2].contains(" ± "))
        #expect(lines[3].hasPrefix(" ") && !lines[3].contains("0.02") && lines[3].contains("dense2"),
                "a group's own cells are written once")
        #expect(lines[4].contains("0.05") && lines[4].contains("1,2"))
        #expect(!table.standardOutput.contains(where: { "▁▂▃▄▅▆▇█".contains($0) }), "no sparkline into a pipe")

        let csv = parseCSV(try workspace.onRuns("compare", "--format", "csv").standardOutput)
        #expect(csv.header == ["learning_rate", "runs", "n", "test_accuracy", "test_accuracy_sd", "layer", "class",
                               "class_fraction", "class_counts", "peak_step", "peak_step_low", "peak_step_high",
                               "peak", "peak_sd", "decay_fraction", "decay_fraction_sd", "final", "final_sd", "status"])
        #expect(csv.rows.map { $0["learning_rate"] } == ["0.02", "0.02", "0.05", "0.05"])
        #expect(csv.rows.map { $0["n"] } == ["2", "2", "2", "2"])
        // Group means and spreads in full precision, against the stored phase rows.
        let finals = try workspace.sqlRows("SELECT run_id, layer_index, final_value FROM phase_results "
                                           + "WHERE statistic = 'mean_abs_r' ORDER BY run_id, layer_index")
        func final(_ run: String, _ layer: String) -> Double { Double(finals.first { $0[0] == run && $0[1] == layer }![2])! }
        let pair = [final("3", "0"), final("4", "0")]
        let mean = (pair[0] + pair[1]) / 2
        assertClose(Double(csv.rows[0]["final"]!)!, mean)
        assertClose(Double(csv.rows[0]["final_sd"]!)!, abs(pair[0] - pair[1]) / 2.0.squareRoot())
        let accuracies = try workspace.sqlRows("SELECT accuracy FROM evaluations WHERE split = 'test' AND run_id IN (1, 2) "
                                               + "AND step = (SELECT max(step) FROM evaluations WHERE run_id = 1)")
            .map { Double($0[0])! }
        assertClose(Double(csv.rows[2]["test_accuracy"]!)!, (accuracies[0] + accuracies[1]) / 2)

        let all = try workspace.onRuns("compare", "--all-params", "--format", "csv")
        let header = parseCSV(all.standardOutput).header
        #expect(Array(header.prefix(2)) == ["arch", "dataset"])
        for name in ["batch_size", "epochs", "learning_rate", "momentum", "optimizer"] { #expect(header.contains(name)) }
        #expect(parseCSV(all.standardOutput).rows.first?["arch"] == "64-24relu-12relu-10")
    }

    @Test func groupByKeysAndNoGrouping() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let byRate = try workspace.onRuns("compare", "--group-by", "lr", "--format", "csv")
        #expect(byRate.status == 0, "\(byRate.standardError)")
        #expect(byRate.standardOutput == (try workspace.onRuns("compare", "--group-by", "learning_rate", "--format",
                                                               "csv")).standardOutput)
        #expect(parseCSV(byRate.standardOutput).rows.map { $0["runs"] } == ["3,4", "3,4", "1,2", "1,2"])

        let bySeed = parseCSV(try workspace.onRuns("compare", "--group-by", "seed", "--format", "csv").standardOutput)
        #expect(Array(bySeed.header.prefix(3)) == ["seed", "runs", "n"], "the pooled learning rate is not shown")
        #expect(bySeed.rows.map { $0["runs"] } == ["1,3", "1,3", "2,4", "2,4"])

        let pooled = parseCSV(try workspace.onRuns("compare", "--group-by", "arch", "--all-params", "--format",
                                                   "csv").standardOutput)
        #expect(pooled.rows.count == 2 && pooled.rows[0]["n"] == "4")
        #expect(pooled.rows[0]["learning_rate"] == "0.02/0.05", "a parameter that varies within a group")

        let single = parseCSV(try workspace.onRuns("compare", "--no-group-seeds", "--format", "csv").standardOutput)
        #expect(Array(single.header.prefix(4)) == ["learning_rate", "runs", "seed", "test_accuracy"])
        #expect(single.rows.map { $0["runs"]! } == ["3", "3", "4", "4", "1", "1", "2", "2"])
        #expect(single.rows.allSatisfy { $0["final_sd"] == "" && $0["peak_step_low"] == "" })
        let subset = parseCSV(try workspace.onRuns("compare", "1", "3", "--format", "csv").standardOutput)
        #expect(subset.rows.map { $0["runs"]! } == ["3", "3", "1", "1"])
        let filtered = parseCSV(try workspace.onRuns("compare", "--where", "lr < 0.03 AND seed = 2", "--format", "csv")
            .standardOutput)
        #expect(filtered.rows.map { $0["runs"]! } == ["4", "4"])
        #expect(filtered.header.first == "runs", "one run: no parameter differs")
    }

    /// Each run's value at a step is the snapshot at the largest step ≤ it, exactly as stored.
    @Test func valuesAtStepsAreTheStoredSnapshots() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let result = try workspace.onRuns("compare", "--no-group-seeds", "--at-steps", "1000,0,37,5", "--format", "csv")
        #expect(result.status == 0, "\(result.standardError)")
        let csv = parseCSV(result.standardOutput)
        for step in [0, 5, 37, 1000] { #expect(csv.header.contains("at_\(step)") && csv.header.contains("at_\(step)_sd")) }
        #expect(csv.header.firstIndex(of: "at_0")! < csv.header.firstIndex(of: "at_1000")!, "steps in ascending order")
        for row in csv.rows {
            for step in [0, 5, 37, 1000] {
                let stored = try workspace.sqlRows("""
                    SELECT mean_abs_r FROM snapshot_series WHERE run_id = \(row["runs"]!) \
                    AND layer_name = '\(row["layer"]!)' AND step <= \(step) ORDER BY step DESC LIMIT 1
                    """)
                #expect(Double(row["at_\(step)"]!) == Double(stored[0][0]), "run \(row["runs"]!) \(row["layer"]!) @\(step)")
            }
        }
        let grouped = parseCSV(try workspace.onRuns("compare", "--at-steps", "37", "--layer", "dense2", "--stat",
                                                    "mean_r", "--format", "csv").standardOutput)
        #expect(grouped.rows.map { $0["layer"] } == ["dense2", "dense2"])
        let signed = try workspace.sqlRows("SELECT mean_r FROM snapshots WHERE run_id IN (3, 4) AND layer_index = 1 "
                                           + "AND step = (SELECT max(step) FROM snapshots WHERE step <= 37)")
        assertClose(Double(grouped.rows[0]["at_37"]!)!, (Double(signed[0][0])! + Double(signed[1][0])!) / 2)
    }

    @Test func markdownJSONSortingAndColumns() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let markdown = try workspace.onRuns("compare", "--format", "markdown", "--at-steps", "10")
        let lines = markdown.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + 4)
        #expect(lines[0] == "| learning_rate | runs | n | test_accuracy | layer | class | peak_step | peak | "
                + "decay_fraction | final | at_10 | status |")
        #expect(lines[1] == "| ---: | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        #expect(lines.allSatisfy { $0.hasPrefix("| ") && $0.hasSuffix(" |") && $0.filter { $0 == "|" }.count == 13 })
        #expect(lines[3].hasPrefix("|  |  |  |  | dense2 |"), "a group's own cells are written once")

        let json = try workspace.onRuns("compare", "--format", "json", "--at-steps", "0,10")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        #expect(object["statistic"] as? String == "mean_abs_r")
        #expect(object["group_by"] as? String == "seeds")
        #expect(object["at_steps"] as? [Int] == [0, 10])
        #expect(object["parameters"] as? [String] == ["learning_rate"])
        let groups = try #require(object["groups"] as? [[String: Any]])
        #expect(groups.count == 2)
        #expect((groups[0]["parameters"] as? [String: Double])?["learning_rate"] == 0.02)
        #expect(groups[0]["n"] as? Int == 2)
        #expect((groups[0]["runs"] as? [[String: Any]])?.map { $0["id"] as? Int } == [3, 4])
        #expect((groups[0]["status"] as? [String: Int]) == ["finished": 2])
        let layers = try #require(groups[0]["layers"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String } == ["dense1", "dense2"])
        for key in ["class", "peak_step", "peak", "decay_fraction", "final", "at_steps", "n", "reduction"] {
            #expect(layers[0][key] != nil, "layer has \(key)")
        }
        #expect(((layers[0]["final"] as? [String: Any])?["n"] as? Int) == 2)
        #expect(((layers[0]["at_steps"] as? [[String: Any]])?.map { $0["step"] as? Int }) == [0, 10])
        let counts = (layers[0]["class"] as? [String: Any])?["counts"] as? [String: Int]
        #expect(counts?.values.reduce(0, +) == 2)

        let sorted = try workspace.onRuns("compare", "--no-group-seeds", "--sort", "final", "--desc", "--columns",
                                          "runs,layer,final", "--format", "csv")
        let rows = parseCSV(sorted.standardOutput)
        #expect(rows.header == ["runs", "layer", "final", "final_sd"])
        let finals = rows.rows.map { Double($0["final"]!)! }
        #expect(finals.count == 8 && finals == finals.sorted(by: >))
        let ascending = parseCSV(try workspace.onRuns("compare", "--no-group-seeds", "--sort", "test_accuracy",
                                                      "--columns", "test_accuracy", "--format", "csv").standardOutput)
        let accuracies = ascending.rows.map { Double($0["test_accuracy"]!)! }
        #expect(accuracies == accuracies.sorted())
        let table = try workspace.onRuns("compare", "--columns", "layer,class", "--columns", "runs")
        #expect(table.standardOutput.split(separator: "\n").first?.split(separator: " ") == ["layer", "class", "runs"])
    }

    /// In a terminal, the table gets a sparkline per layer (runs through a pseudo-terminal).
    @Test func aTerminalGetsSparklines() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let output = try TrackerProcess.runInTerminal(["compare", "--db", "runs.sqlite"], in: workspace.url)
        let lines = output.split(separator: "\n")
        #expect(lines.first?.hasSuffix("trajectory") == true, "\(output)")
        #expect(lines.dropFirst(2).allSatisfy { $0.contains(where: { "▁▂▃▄▅▆▇█".contains($0) }) })
        let csv = try TrackerProcess.runInTerminal(["compare", "--db", "runs.sqlite", "--format", "csv"], in: workspace.url)
        #expect(!csv.contains("trajectory"))
    }

    @Test func badInputGetsOneClearLineAndANonZeroExit() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        func expectFailure(_ arguments: [String], _ message: String, status: Int32,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try TrackerProcess.run(["compare"] + arguments + ["--db", "runs.sqlite"], in: workspace.url)
            #expect(result.status == status, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
            #expect(result.standardError.hasPrefix("Error: ") && result.standardError.contains(message),
                    "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
            #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
        }
        try expectFailure(["42"], "no run matches '42'", status: 1)
        try expectFailure(["--layer", "dense7"],
                          "--layer: no probed layer named 'dense7' in the runs compared (known: dense1, dense2)", status: 64)
        try expectFailure(["--stat", "median_r"], "--stat: no snapshot statistic named 'median_r' (known: mean_abs_r, mean_r, mean_r_squared,",
                          status: 64)
        try expectFailure(["--where", "lr > 5"], "no runs match --where \"lr > 5\"", status: 1)
        try expectFailure(["--where", "lrr > 0.1"], "--where: unknown name 'lrr' (known: id, uuid, name,", status: 64)
        try expectFailure(["--group-by", "lr,lrr"], "--group-by: unknown name 'lrr' (known: id, uuid,", status: 64)
        for steps in ["10,abc", "-5", "1.5", "10,,20", " "] {
            try expectFailure(["--at-steps=\(steps)"], "--at-steps takes steps (integers ≥ 0) separated by commas", status: 64)
        }
        try expectFailure(["--at-steps="], "Missing value for '--at-steps <steps>'", status: 64)
        try expectFailure(["--sort", "nope"], "--sort: no column named 'nope' (columns: learning_rate, runs, n,", status: 64)
        try expectFailure(["--columns", "layer,nope"], "--columns: no column named 'nope'", status: 64)
        try expectFailure(["1", "--where", "lr > 0"], "give runs or --where, not both", status: 64)
        try expectFailure(["--group-by", "lr", "--no-group-seeds"], "--group-by and --no-group-seeds", status: 64)
        try expectFailure(["--columns", "layer", "--format", "json"], "--columns selects columns of table", status: 64)
        try expectFailure(["--desc"], "--desc needs --sort", status: 64)
        try expectFailure(["--format", "yaml"], "yaml", status: 64)

        // A malformed filter: the message with its column, then the expression and a caret under the column.
        let malformed = try workspace.onRuns("compare", "--where", "lr >> 1")
        #expect(malformed.status == 64)
        #expect(malformed.standardError == "Error: --where: column 5: expected a value after '>', found '>'\n"
                + "  lr >> 1\n      ^\n")
        #expect(malformed.standardOutput.isEmpty)
        let unterminated = try workspace.onRuns("compare", "--where", "arch = 'x AND lr > 1")
        #expect(unterminated.status == 64)
        #expect(unterminated.standardError.split(separator: "\n").last == "         ^")

        let missing = try TrackerProcess.run(["compare", "--db", "nowhere.sqlite"], in: workspace.url)
        #expect(missing.status == 1 && missing.standardError.contains("no database at nowhere.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("nowhere.sqlite")))
    }

    /// A run killed while training stays `running`: compared and phased on what it recorded, and flagged.
    @Test func aRunStillRunningIsComparedOnWhatItHasAndFlagged() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let started = try TrackerProcess.start(["run", "--epochs", "100000", "--snapshot-every", "20", "--db",
                                                "runs.sqlite"], in: workspace.url)
        var snapshots = 0
        for _ in 0..<300 where snapshots < 12 {
            Thread.sleep(forTimeInterval: 0.05)
            let count = try? workspace.onRuns("sql", "SELECT count(DISTINCT step) AS n FROM snapshots", "--format", "csv")
            snapshots = Int(count?.standardOutput.split(separator: "\n").last ?? "") ?? 0
        }
        kill(started.0.processIdentifier, SIGKILL)
        _ = TrackerProcess.finish(started)
        #expect(snapshots >= 12)
        #expect(try workspace.sqlRows("SELECT status FROM runs") == [["running"]])

        let compare = try workspace.onRuns("compare", "--format", "csv")
        #expect(compare.status == 0, "\(compare.standardError)")
        #expect(compare.standardError == "note: run 1 still running: compared on what it has recorded so far\n")
        let rows = parseCSV(compare.standardOutput).rows
        #expect(rows.count == 2 && rows.allSatisfy { $0["status"] == "running" })
        let phases = parseCSV(try workspace.onRuns("phases", "--format", "csv").standardOutput).rows
        #expect(phases.map { $0["status"] } == ["running", "running"])
        let stored = try workspace.sqlRows("SELECT DISTINCT run_status, last_step = (SELECT max(step) FROM snapshots) "
                                           + "FROM phase_results")
        #expect(stored == [["running", "1"]], "analysed up to the last snapshot it had")
    }
}

@Suite(.serialized) struct PhasesCommandTests {
    @Test func phasesOfARunAreStoredAndReused() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let storedBefore = try workspace.sqlRows("SELECT run_id, layer_index, phase_class, computed_at FROM phase_results "
                                                 + "WHERE run_id = 1 ORDER BY layer_index")
        #expect(storedBefore.count == 2, "tracker run stored its phases")

        let result = try workspace.onRuns("phases", "1", "--format", "csv")
        #expect(result.status == 0, "\(result.standardError)")
        let csv = parseCSV(result.standardOutput)
        #expect(csv.header == ["run", "layer", "class", "peak_step", "peak", "start", "rise", "decay_fraction",
                               "half_decay_step", "final", "noise_sigma", "status"])
        #expect(csv.rows.map { $0["layer"] } == ["dense1", "dense2"])
        #expect(csv.rows.map { $0["class"]! } == storedBefore.map { $0[2] })
        let finals = try workspace.sqlRows("SELECT final_value FROM phase_results WHERE run_id = 1 ORDER BY layer_index")
        #expect(csv.rows.map { Double($0["final"]!) } == finals.map { Double($0[0]) })
        #expect(try workspace.sqlRows("SELECT run_id, layer_index, phase_class, computed_at FROM phase_results "
                                      + "WHERE run_id = 1 ORDER BY layer_index") == storedBefore, "reused, not recomputed")

        let table = try workspace.onRuns("phases", "1", "2")
        #expect(table.standardOutput.split(separator: "\n").count == 2 + 4)
        let dense2 = parseCSV(try workspace.onRuns("phases", "--layer", "dense2", "--format", "csv").standardOutput)
        #expect(dense2.rows.map { $0["run"]! } == ["1", "2", "3", "4"])
        #expect(dense2.rows.allSatisfy { $0["layer"] == "dense2" })

        let unknownLayer = try workspace.onRuns("phases", "1", "--layer", "dense7")
        #expect(unknownLayer.status == 64)
        #expect(unknownLayer.standardError
                == "Error: --layer: no probed layer named 'dense7' in the runs given (known: dense1, dense2)\n")
        let unknownStatistic = try workspace.onRuns("phases", "1", "--stat", "median_r")
        #expect(unknownStatistic.status == 64)
        #expect(unknownStatistic.standardError.hasPrefix(
            "Error: --stat: no snapshot statistic named 'median_r' (known: mean_abs_r, mean_r, mean_r_squared, sd_r,"))
        let unknownRun = try workspace.onRuns("phases", "9")
        #expect(unknownRun.status == 1 && unknownRun.standardError.contains("no run matches '9'"))
    }

    @Test func signedMeanRecomputingAndOtherParameters() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let signed = parseCSV(try workspace.onRuns("phases", "1", "--stat", "mean_r", "--format", "csv").standardOutput)
        #expect(signed.rows.count == 2)
        #expect(try workspace.sqlRows("SELECT statistic, count(*) FROM phase_results WHERE run_id = 1 "
                                      + "GROUP BY statistic ORDER BY statistic") == [["mean_abs_r", "2"], ["mean_r", "2"]])
        let starts = try workspace.sqlRows("SELECT start_value FROM phase_results WHERE run_id = 1 AND statistic = 'mean_r' "
                                           + "ORDER BY layer_index")
        #expect(signed.rows.map { Double($0["start"]!) } == starts.map { Double($0[0]) })

        // --recompute: a new computed_at, the same results.
        let columns = "layer_index, phase_class, peak_step, peak_value, start_value, final_value, decay_fraction, "
            + "noise_sigma, parameters"
        let before = try workspace.sqlRows("SELECT \(columns), computed_at FROM phase_results "
                                           + "WHERE run_id = 1 AND statistic = 'mean_abs_r' ORDER BY layer_index")
        Thread.sleep(forTimeInterval: 0.01)  // computed_at has millisecond resolution
        let again = try workspace.onRuns("phases", "1", "--recompute", "--format", "csv")
        #expect(again.status == 0)
        let after = try workspace.sqlRows("SELECT \(columns), computed_at FROM phase_results "
                                          + "WHERE run_id = 1 AND statistic = 'mean_abs_r' ORDER BY layer_index")
        #expect(after.map { $0.dropLast() } == before.map { $0.dropLast() })
        #expect(zip(after, before).allSatisfy { $0.last! > $1.last! }, "\(before) → \(after)")

        // Other parameters replace the stored rows (never add to them).
        let strict = try workspace.onRuns("phases", "1", "--prominence", "5", "--min-amplitude", "0.02")
        #expect(strict.status == 0)
        let replaced = try workspace.sqlRows("SELECT json_extract(parameters, '$.noiseMultiplier'), "
                                             + "json_extract(parameters, '$.minimumAmplitude') FROM phase_results "
                                             + "WHERE run_id = 1 AND statistic = 'mean_abs_r'")
        #expect(replaced == [["5", "0.02"], ["5", "0.02"]], "JSONEncoder writes 5.0 as 5")
        #expect(try workspace.sqlRows("SELECT count(*) FROM phase_results WHERE run_id = 1") == [["4"]])
        let other = try workspace.sqlRows("SELECT json_extract(parameters, '$.noiseMultiplier') FROM phase_results "
                                          + "WHERE run_id = 2 AND statistic = 'mean_abs_r'")
        #expect(other == [["3"], ["3"]], "other runs keep theirs")
    }
}
