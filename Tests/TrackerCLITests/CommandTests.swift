// Every command end to end on a temporary database: output, formats, and clear errors with non-zero exits.
import Foundation
import Testing

@Suite(.serialized) struct CommandTests {
    @Test func helpDescribesEveryCommand() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let root = try workspace.tracker("--help")
        #expect(root.status == 0)
        for command in ["run", "runs", "show", "phases", "compare", "sql", "query", "export", "reap", "sweep",
                        "matrix", "ingest", "plot", "report", "reproduce"] {
            #expect(root.standardOutput.contains("  \(command) "), "root help lists \(command)")
            let help = try TrackerProcess.run([command, "--help"], in: workspace.url)
            #expect(help.status == 0, "\(command) --help")
            #expect(help.standardOutput.contains("--db"), "\(command) --help shows --db")
        }
        // Commands that take files as arguments instead of --db, or need no database.
        for command in ["merge", "migrate", "check", "correlate", "statistics"] {
            #expect(root.standardOutput.contains("  \(command) "), "root help lists \(command)")
            let help = try TrackerProcess.run([command, "--help"], in: workspace.url)
            #expect(help.status == 0 && help.standardOutput.contains("OVERVIEW:"), "\(command) --help")
        }
        let runHelp = try workspace.tracker("run", "--help")
        for option in ["--arch", "--lr", "--momentum", "--batch", "--epochs", "--seed", "--snapshot-every", "--name",
                       "--tag", "--activation", "--initialization"] {
            #expect(runHelp.standardOutput.contains(option), "run --help shows \(option)")
        }
        let helpText = runHelp.standardOutput.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        #expect(helpText.contains("relu, leakyrelu, tanh, sigmoid, gelu"))
        #expect(try workspace.tracker("--version").standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                .first?.isNumber == true)
    }

    /// Flag errors, whether ArgumentParser finds them or a command's validation does, are one line with exit 64: no
    /// usage after them.
    @Test func flagErrorsAreOneLine() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let cases: [([String], String)] = [
            (["reproduce", "--seeds", "0"], "Error: --seeds must be at least 1, got 0\n"),
            (["compare", "--desc"], "Error: --desc needs --sort COLUMN\n"),
            (["run", "--no-such-flag"], "Error: Unknown option '--no-such-flag'\n"),
            (["frobnicate"], "Error: Unexpected argument 'frobnicate'\n"),
            (["run", "--lr", "0"], "Error: --lr: learning rate must be positive and finite, got 0.0\n"),
        ]
        for (arguments, expected) in cases {
            let result = try TrackerProcess.run(arguments, in: workspace.url)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.standardError == expected, "\(arguments)")
            #expect(result.standardOutput.isEmpty, "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")), "nothing was created")
    }

    @Test func runThenInspectItWithEveryCommand() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let run = try TrackerProcess.run(quickRun + ["--name", "first run", "--tag", "cli", "--tag", "smoke"],
                                         in: workspace.url)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("run 1 "))
        #expect(run.standardOutput.contains("finished"))
        #expect(run.standardOutput.contains("dense1: peak"))
        #expect(run.standardError.isEmpty, "no progress line when stdout is not a terminal")
        #expect(FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")))

        let runs = try workspace.tracker("runs")
        #expect(runs.status == 0)
        #expect(runs.standardOutput.contains("first run"))
        #expect(runs.standardOutput.contains("64-24relu-12relu-10"))
        #expect(runs.standardOutput.contains("cli,smoke"))

        let csv = try workspace.tracker("runs", "--format", "csv")
        let csvLines = csv.standardOutput.split(separator: "\n")
        #expect(csvLines.first?.hasPrefix("id,uuid,name,status") == true)
        #expect(csvLines.count == 2)

        let json = try workspace.tracker("runs", "--format", "json", "--status", "finished")
        let objects = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]]
        #expect(objects?.count == 1)
        #expect(objects?.first?["status"] as? String == "finished")
        #expect((objects?.first?["test_accuracy"] as? Double ?? 0) > 0.5)
        let uuidPrefix = objects?.first?["uuid"] as? String ?? ""

        #expect(try workspace.tracker("runs", "--status", "failed").standardOutput.split(separator: "\n").count == 2)
        #expect(try workspace.tracker("runs", "--tag", "nope", "--format", "json").standardOutput == "[]\n")

        let show = try workspace.tracker("show", "1")
        #expect(show.status == 0)
        for text in ["hyperparameters:", "learning_rate", "layers:", "dense1", "dense2", "final evaluations:",
                     "mean abs r:", "trajectory", "snapshot_rows"] {
            #expect(show.standardOutput.contains(text), "show prints \(text)")
        }
        #expect(show.standardOutput.contains(where: { "▁▂▃▄▅▆▇█".contains($0) }), "show draws a sparkline")
        let showJSON = try workspace.tracker("show", uuidPrefix, "--format", "json")
        let detail = try JSONSerialization.jsonObject(with: Data(showJSON.standardOutput.utf8)) as? [String: Any]
        #expect(detail?["id"] as? Int == 1)
        #expect((detail?["mean_abs_r"] as? [[String: Any]])?.count == 2)
        let showCSV = try workspace.tracker("show", "1", "--format", "csv")
        #expect(showCSV.standardOutput.contains("# hyperparameters\nkey,value\n"))

        let sql = try workspace.tracker("sql", "SELECT count(DISTINCT step) AS steps, count(DISTINCT layer_index) AS layers "
                                        + "FROM snapshots", "--format", "json")
        let counts = try JSONSerialization.jsonObject(with: Data(sql.standardOutput.utf8)) as? [[String: Int]]
        #expect((counts?.first?["steps"] ?? 0) >= 10)
        #expect(counts?.first?["layers"] == 2)

        let list = try workspace.tracker("query", "--list")
        for name in ["runs_overview", "snapshot_series", "peak_correlation", "runs_by_hyperparameter"] {
            #expect(list.standardOutput.contains(name))
        }
        let series = try workspace.tracker("query", "snapshot_series", "--param", "run=1", "--param", "layer=dense2",
                                           "--format", "csv")
        #expect(series.status == 0)
        #expect(series.standardOutput.hasPrefix("layer_name,reduction,step,units"))
        #expect(series.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("dense2,") })
        let peak = try workspace.tracker("query", "peak_correlation")
        #expect(peak.standardOutput.contains("dense1"))
        let ranged = try workspace.tracker("query", "runs_by_hyperparameter", "--param", "key=learning_rate",
                                           "--param", "min=0.01", "--param", "max=0.1", "--format", "csv")
        #expect(ranged.standardOutput.split(separator: "\n").count == 2)
    }

    @Test func batchNormDropoutAndDeCovRunAndAreRecorded() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let run = try workspace.tracker("run", "--arch", "dense24-bn-relu-dropout0.2-dense12-relu", "--epochs", "1",
                                        "--snapshot-every", "20", "--decov", "0.1@dense1")
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("dense1: peak") && run.standardOutput.contains("dense2: peak"))
        let plain = try workspace.tracker("run", "--arch", "dense24-bn-relu-dropout0.2-dense12-relu", "--epochs", "1",
                                          "--snapshot-every", "20")
        #expect(plain.status == 0, "\(plain.standardError)")
        let stored = try workspace.tracker("sql", "--format", "csv", """
            SELECT a.summary, (SELECT count(*) FROM step_penalties p WHERE p.run_id = r.id) AS penalties,
                (SELECT count(*) FROM step_metrics m WHERE m.run_id = r.id AND m.penalty > 0) AS penalised_steps
            FROM runs r JOIN architectures a ON a.id = r.architecture_id ORDER BY r.id
            """)
        #expect(stored.standardOutput == "summary,penalties,penalised_steps\n"
                + "64-24-batchnorm-relu-dropout0.2-12relu-10,45,45\n64-24-batchnorm-relu-dropout0.2-12relu-10,0,0\n")
        let show = try workspace.tracker("show", "1")
        #expect(show.standardOutput.contains("decov_layers") && show.standardOutput.contains("penalty"))
        let compare = try workspace.tracker("compare", "--group-by", "decov", "--format", "csv")
        #expect(compare.status == 0, "\(compare.standardError)")
        #expect(compare.standardOutput.hasPrefix("decov,"))
    }

    @Test func badInputGetsOneClearLineAndANonZeroExit() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        func expectFailure(_ arguments: [String], _ message: String, status: Int32? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try TrackerProcess.run(arguments, in: workspace.url)
            #expect(result.status != 0, "\(arguments) should fail", sourceLocation: sourceLocation)
            if let status { #expect(result.status == status, "\(arguments)", sourceLocation: sourceLocation) }
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)",
                    sourceLocation: sourceLocation)
            #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
        }
        try expectFailure(["runs"], "no database at tracker.sqlite")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")))
        try expectFailure(["run", "--lr", "0"], "--lr: learning rate must be positive and finite, got 0.0", status: 64)
        try expectFailure(["run", "--momentum", "1"], "--momentum: momentum must be in [0, 1), got 1.0", status: 64)
        try expectFailure(["run", "--epochs", "zero"], "--epochs", status: 64)
        try expectFailure(["run", "--activation", "swish"], "swish", status: 64)
        try expectFailure(["run", "--arch", "12x"], "--arch: architecture '12x': token 1 '12x' (column 1) is not a layer",
                          status: 64)
        try expectFailure(["run", "--arch", "conv8k3-relu-maxpol2"],
                          "--arch: architecture 'conv8k3-relu-maxpol2': token 3 'maxpol2' (column 14) is not a layer",
                          status: 64)
        try expectFailure(["run", "--arch", "conv8k9-dense16"],
                          "--arch: architecture 1x8x8-conv8k9-16-10: conv1 (conv8k9) has a 9×9 window larger than its 1×8×8 input",
                          status: 64)
        try expectFailure(["run", "--data", "mnist"], "--data: unknown data set 'mnist'", status: 64)
        try expectFailure(["run", "--probe-samples", "1"], "--probe-samples: probe samples must be between 2", status: 64)
        try expectFailure(["run", "--optimizer", "adam", "--nesterov"], "--nesterov: nesterov needs the SGD optimizer",
                          status: 64)
        try expectFailure(["run", "--threads", "0"], "--threads: BLAS threads must be between 1 and 256", status: 64)
        try expectFailure(["run", "--probe", "dense7"], "--probe: architecture 64-128relu-64relu-10: no hidden layer named 'dense7'",
                          status: 64)
        try expectFailure(["frobnicate"], "frobnicate", status: 64)
        for (arguments, line) in [
            (["run", "--decov", "abc"],
             "Error: --decov: DeCov setting 'abc' must be WEIGHT[@LAYER,...] with WEIGHT a number ≥ 0, got 'abc'\n"),
            (["run", "--decov", "0.1@nosuchlayer"],
             "Error: --decov: no hidden layer named 'nosuchlayer' for DeCov (layers: dense1, dense2)\n"),
            (["run", "--arch", "dense8-dropout1.5"],
             "Error: --arch: architecture 'dense8-dropout1.5': token 2 'dropout1.5' (column 8): dropout rate must be in [0, 1), got 1.5\n"),
        ] {
            let result = try TrackerProcess.run(arguments, in: workspace.url)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.standardError == line, "\(arguments): exactly one line")
            #expect(result.standardOutput.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")),
                "failed validation creates no database")

        #expect(try TrackerProcess.run(quickRun, in: workspace.url).status == 0)
        try expectFailure(["show", "42"], "no run matches '42'", status: 1)
        try expectFailure(["show"], "Missing expected argument", status: 64)
        try expectFailure(["runs", "--status", "exploded"], "exploded", status: 64)
        try expectFailure(["runs", "--limit", "0"], "--limit must be at least 1", status: 64)
        try expectFailure(["sql", "DELETE FROM runs"], "read-only", status: 1)
        try expectFailure(["sql", "SELECT x FROM nowhere"], "no such table: nowhere", status: 1)
        try expectFailure(["query"], "give a query name", status: 64)
        try expectFailure(["query", "nope"], "no query named 'nope'", status: 1)
        try expectFailure(["query", "snapshot_series"], "needs --param run=VALUE", status: 1)
        try expectFailure(["query", "snapshot_series", "--param", "run"], "NAME=VALUE", status: 64)
        try expectFailure(["query", "snapshot_series", "--param", "ru=1"], "has no parameter 'ru'", status: 1)
        let stillThere = try workspace.tracker("sql", "SELECT count(*) AS n FROM runs", "--format", "csv")
        #expect(stillThere.standardOutput == "n\n1\n")

        let notes = workspace.path("notes.txt")
        let content = Data("my notes\n".utf8)
        try content.write(to: URL(fileURLWithPath: notes))
        try expectFailure(["runs", "--db", notes], "is not an SQLite database", status: 1)
        try expectFailure(quickRun + ["--db", notes], "is not an SQLite database", status: 1)
        #expect(FileManager.default.contents(atPath: notes) == content)
    }
}
