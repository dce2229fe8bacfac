// `tracker run --config`, `--like` and `--shuffle-labels`, and `tracker show --config`, through the real binary.
import Foundation
import GRDB
import Testing

@Suite(.serialized) struct ConfigurationCommandTests {
    /// A tiny run: one small hidden layer, one epoch, one BLAS thread.
    static let tinyRun = ["run", "--arch", "16", "--epochs", "1", "--snapshot-every", "15", "--seed", "3",
                          "--threads", "1"]

    /// Everything a run measured that must repeat bit for bit (wall times aside), as CSV with full-precision reals.
    func numbers(_ run: Int, in workspace: Workspace) throws -> String {
        let queries = [
            "SELECT step, layer_index, reduction, probe_samples, units, dead_units, pair_count, mean_abs_r, mean_r "
                + "FROM snapshots WHERE run_id = \(run) ORDER BY step, layer_index, reduction",
            "SELECT step, epoch, train_loss, train_accuracy, learning_rate, gradient_norm FROM step_metrics "
                + "WHERE run_id = \(run) ORDER BY step",
            "SELECT step, split, loss, accuracy FROM evaluations WHERE run_id = \(run) ORDER BY step, split",
        ]
        return try queries.map { query in
            let result = try TrackerProcess.run(["sql", query, "--format", "csv"], in: workspace.url)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.split(separator: "\n").count > 2, "\(query) found rows")
            return result.standardOutput
        }.joined(separator: "\n")
    }

    /// The run's hyperparameters as `key=value` lines.
    func hyperparameters(_ run: Int, in workspace: Workspace) throws -> [String] {
        let result = try workspace.tracker("sql", "SELECT h.key || '=' || h.value AS kv FROM hyperparameters h JOIN runs r "
                                           + "ON r.hyperparameter_set_id = h.set_id WHERE r.id = \(run) ORDER BY h.key",
                                           "--format", "csv")
        return result.standardOutput.split(separator: "\n").dropFirst().map(String.init)
    }

    func sql(_ query: String, in workspace: Workspace) throws -> String {
        try workspace.tracker("sql", query, "--format", "csv").standardOutput
    }

    @Test func showConfigPrintsYAMLThatRunConfigRepeatsExactly() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let first = try TrackerProcess.run(Self.tinyRun + ["--lr-schedule", "step", "--lr-step-every", "20",
                                                           "--probe", "dense1", "--name", "original", "--tag", "t"],
                                           in: workspace.url)
        #expect(first.status == 0, "\(first.standardError)")
        let shown = try workspace.tracker("show", "1", "--config")
        #expect(shown.status == 0)
        #expect(shown.standardOutput.hasPrefix("data: digits\ndata-format: null\nlabels: null\nlabel-column: last\n"
                                               + "header: auto\nshape: null\narch: \"16\"\nprobe: [dense1]\n"))
        for line in ["lr-schedule: step\n", "lr-step-every: 20\n", "epochs: 1\n", "seed: 3\n", "threads: 1\n",
                     "shuffle-labels: false\n", "test-samples: null\n"] {
            #expect(shown.standardOutput.contains(line), "show --config prints \(line)")
        }
        #expect(!shown.standardOutput.contains("original") && !shown.standardOutput.contains("tag"),
                "the name and tags are labels, not settings")
        try Data(shown.standardOutput.utf8).write(to: URL(fileURLWithPath: workspace.path("run.yaml")))

        let second = try workspace.tracker("run", "--config", "run.yaml")
        #expect(second.status == 0, "\(second.standardError)")
        #expect(try numbers(2, in: workspace) == numbers(1, in: workspace))
        #expect(try workspace.tracker("show", "2", "--config").standardOutput == shown.standardOutput)
        #expect(try sql("SELECT count(DISTINCT hyperparameter_set_id) AS sets, count(DISTINCT architecture_id) AS archs "
                        + "FROM runs", in: workspace) == "sets,archs\n1,1\n")
        #expect(try sql("SELECT run_id AS id, coalesce(name, '-') AS name, coalesce(tags, '-') AS tags FROM run_overview ORDER BY run_id",
                        in: workspace) == "id,name,tags\n1,original,t\n2,-,-\n")
    }

    @Test func likeRepeatsARunAndFlagsChangeJustThemselves() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        #expect(try TrackerProcess.run(Self.tinyRun + ["--name", "base", "--tag", "sweep"], in: workspace.url).status == 0)
        // Thirteen characters, so the prefix holds a dash and never reads as an id.
        let uuid = try sql("SELECT substr(uuid, 1, 13) AS u FROM runs WHERE id = 1", in: workspace)
            .split(separator: "\n")[1]
        let again = try workspace.tracker("run", "--like", String(uuid))
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try numbers(2, in: workspace) == numbers(1, in: workspace))

        let changed = try workspace.tracker("run", "--like", "1", "--lr", "0.02", "--name", "lower lr")
        #expect(changed.status == 0, "\(changed.standardError)")
        #expect(try numbers(3, in: workspace) != numbers(1, in: workspace))
        let base = try hyperparameters(1, in: workspace), lower = try hyperparameters(3, in: workspace)
        #expect(Set(base).symmetricDifference(lower) == ["learning_rate=0.05", "learning_rate=0.02"])
        let baseYAML = try workspace.tracker("show", "1", "--config").standardOutput.split(separator: "\n")
        let lowerYAML = try workspace.tracker("show", "3", "--config").standardOutput.split(separator: "\n")
        #expect(zip(baseYAML, lowerYAML).filter { $0 != $1 }.map { "\($0) -> \($1)" } == ["lr: 0.05 -> lr: 0.02"])
        // --like copies the tags, not the name; --tag replaces the tags.
        #expect(try sql("SELECT run_id AS id, coalesce(name, '-') AS name, tags FROM run_overview ORDER BY run_id", in: workspace)
                == "id,name,tags\n1,base,sweep\n2,-,sweep\n3,lower lr,sweep\n")
        #expect(try workspace.tracker("run", "--like", "1", "--tag", "other", "--epochs", "0").status == 64)
        #expect(try workspace.tracker("run", "--like", "1", "--tag", "other", "--format", "json").status == 0)
        #expect(try sql("SELECT tags FROM run_overview WHERE run_id = 4", in: workspace) == "tags\nother\n")
    }

    @Test func flagsGivenOverrideTheFileAndDefaultsDoNot() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        try Data("""
            # a tiny run
            arch: dense12-tanh
            lr: 0.02
            epochs: 2
            nesterov: true
            threads: 1
            snapshot-every: 30
            tag: [from-file]

            """.utf8).write(to: URL(fileURLWithPath: workspace.path("run.yaml")))
        let run = try workspace.tracker("run", "--config", "run.yaml", "--epochs", "1", "--no-nesterov")
        #expect(run.status == 0, "\(run.standardError)")
        let yaml = try workspace.tracker("show", "1", "--config").standardOutput
        for line in ["arch: dense12-tanh\n", "lr: 0.02\n", "epochs: 1\n", "nesterov: false\n", "momentum: 0.9\n",
                     "batch: 32\n", "threads: 1\n", "snapshot-every: 30\n"] {
            #expect(yaml.contains(line), "\(line) in\n\(yaml)")
        }
        #expect(try sql("SELECT tags, json_extract(hyperparameters, '$.learning_rate') AS lr FROM run_overview",
                        in: workspace) == "tags,lr\nfrom-file,0.02\n")
    }

    @Test func badFilesGetOneLineNamingTheKeyAndLineAndTouchNoDatabase() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        func expectFailure(_ yaml: String, _ message: String, extra: [String] = [],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: workspace.path("bad.yaml")))
            let result = try TrackerProcess.run(["run", "--config", "bad.yaml"] + extra, in: workspace.url)
            #expect(result.status == 64, sourceLocation: sourceLocation)
            #expect(result.standardError == "Error: \(message)\n", sourceLocation: sourceLocation)
            #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
        }
        try expectFailure("epochs: 1\nlrr: 0.1\n", "bad.yaml:2: unknown key 'lrr' (did you mean 'lr'?)")
        try expectFailure("epochs: 1\n\nlr: fast\n", "bad.yaml:3: lr: expected a number, got 'fast'")
        try expectFailure("epochs: 1\n  lr: 0.1\n",
                          "bad.yaml:2: not valid YAML: mapping values are not allowed in this context (column 5)")
        try expectFailure("epochs: 1\nlr: 0\n", "bad.yaml:2: lr: learning rate must be positive and finite, got 0.0")
        try expectFailure("arch: 16\nepochs: 1\n", "--epochs: epochs must be at least 1, got 0", extra: ["--epochs", "0"])
        let missing = try workspace.tracker("run", "--config", "nowhere.yaml")
        #expect(missing.status == 64 && missing.standardError == "Error: --config: cannot read nowhere.yaml\n")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")))
    }

    @Test func runsWithoutAStoredConfigurationSaySo() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        #expect(try TrackerProcess.run(Self.tinyRun, in: workspace.url).status == 0)
        let queue = try DatabaseQueue(path: workspace.path("tracker.sqlite"))
        try queue.write { db in try db.execute(sql: "UPDATE runs SET configuration = NULL") }
        try queue.close()
        let show = try workspace.tracker("show", "1", "--config")
        #expect(show.status == 1)
        #expect(show.standardError.contains("run 1 was recorded by tracker ")
                && show.standardError.contains("before runs stored their configuration"))
        let like = try workspace.tracker("run", "--like", "1")
        #expect(like.status == 1)
        #expect(like.standardError.contains("before runs stored their configuration, so --like cannot re-run it"))
        #expect(try workspace.tracker("run", "--like", "7").standardError.contains("no run matches '7'"))
        #expect(try sql("SELECT count(*) AS n FROM runs", in: workspace) == "n\n1\n")
    }

    @Test func shuffledLabelsAreReproducibleAndLeaveTestAccuracyNearChance() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let control = ["run", "--arch", "64", "--epochs", "3", "--snapshot-every", "50", "--threads", "1", "--seed", "2"]
        #expect(try TrackerProcess.run(control, in: workspace.url).status == 0)
        let shuffled = try TrackerProcess.run(control + ["--shuffle-labels"], in: workspace.url)
        #expect(shuffled.status == 0, "\(shuffled.standardError)")
        #expect(try workspace.tracker("run", "--like", "2").status == 0)
        #expect(try numbers(3, in: workspace) == numbers(2, in: workspace))
        #expect(try hyperparameters(2, in: workspace).contains("shuffle_labels=1"))
        #expect(try !hyperparameters(1, in: workspace).contains { $0.hasPrefix("shuffle_labels") })
        let accuracy = try sql("SELECT run_id, round(test_accuracy, 3) AS a FROM run_overview ORDER BY run_id",
                               in: workspace).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",")[1]) ?? -1 }
        #expect(accuracy[0] > 0.85, "true labels: \(accuracy)")
        // Ten balanced classes: chance is 0.1; 360 test samples give a standard deviation of 0.016.
        #expect(accuracy[1] < 0.2, "shuffled labels: \(accuracy)")
    }
}
