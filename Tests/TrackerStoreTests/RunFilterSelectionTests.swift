// Selecting runs with filters on a real database: every kind of name, NOT, IN, tags, final metrics, unknown names.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

/// Six runs that differ in every way a filter can see (ids 1...6). `arch` is `4-8<activation>-3`; `test` and
/// `train` are the latest evaluation's accuracy / loss.
///
/// | id | name      | seed | lr    | batch | act.     | dataset | tags           | status      | test       | train      |
/// |----|-----------|------|-------|-------|----------|---------|----------------|-------------|------------|------------|
/// | 1  | alpha     | 1    | 0.05  | 16    | relu     | toy     | baseline       | finished    | 0.9 / 0.3* | 0.95 / 0.2 |
/// | 2  | beta      | 2    | 0.005 | 32    | tanh     | toy     | sweep,baseline | finished    | 0.8 / 0.5  | 0.85 / 0.4 |
/// | 3  | gamma     | 3    | 0.5   | 16    | relu     | digits  | sweep          | failed      | 0.1 / NULL | -          |
/// | 4  | NULL      | 4    | -     | 8     | - (relu) | digits  | -              | interrupted | -          | -          |
/// | 5  | x'; DROP… | 5    | 0.01  | 16    | relu     | toy     | it's           | finished    | 0.9 / 0.35 | -          |
/// | 6  | delta     | 6    | 1     | 64    | tanh     | toy     | -              | running     | -          | -          |
///
/// `*` run 1 also has an earlier test evaluation, 0.7 / 0.6 at step 5. Run 4 has no learning rate or activation
/// hyperparameter (its arch is relu); run 6's learning rate is stored as INTEGER; run 5's name is
/// `x'; DROP TABLE runs; --`; run 3's test loss diverged (NaN, stored as NULL).
private func recordFixtureRuns(_ database: TrackerDatabase) throws {
    struct Evaluation { let step: Int, split: String, accuracy: Double, loss: Double }
    let digits = DatasetDescription(name: "digits", source: "made in a test", sampleCount: 30, featureCount: 4,
                                    classCount: 3, contentHash: String(repeating: "cd", count: 32))
    func record(_ number: Int, name: String?, hyperparameters: [String: HyperparameterValue], tanh: Bool = false,
                digitsData: Bool = false, tags: [String], status: RunStatus, errorMessage: String? = nil,
                evaluations: [Evaluation]) throws {
        var run = sampleRun(name: name, seed: Int64(number), tags: tags)
        run.uuid = UUID(uuidString: "00000000-0000-0000-0000-00000000000\(number)")!
        run.hyperparameters = hyperparameters
        if tanh {
            run.architecture.specJSON = run.architecture.specJSON.replacingOccurrences(of: "relu", with: "tanh")
            run.architecture.summary = "4-8tanh-3"
            run.architecture.layers[0].activation = "tanh"
        }
        if digitsData { run.dataset = digits }
        let recorder = try database.beginRun(run)
        #expect(recorder.runID == Int64(number))
        for evaluation in evaluations {
            recorder.record(evaluation: EvaluationRow(step: evaluation.step, split: evaluation.split,
                                                      loss: evaluation.loss, accuracy: evaluation.accuracy,
                                                      sampleCount: 10, wallTime: Double(evaluation.step)))
        }
        if status == .running { try recorder.flush() } else { try recorder.finish(status, errorMessage: errorMessage) }
    }
    try record(1, name: "alpha",
               hyperparameters: ["learning_rate": .real(0.05), "batch_size": .integer(16), "activation": .text("relu"),
                                 "optimizer": .text("sgd")],
               tags: ["baseline"], status: .finished,
               evaluations: [Evaluation(step: 5, split: "test", accuracy: 0.7, loss: 0.6),
                             Evaluation(step: 10, split: "test", accuracy: 0.9, loss: 0.3),
                             Evaluation(step: 10, split: "train", accuracy: 0.95, loss: 0.2)])
    try record(2, name: "beta",
               hyperparameters: ["learning_rate": .real(0.005), "batch_size": .integer(32), "activation": .text("tanh"),
                                 "optimizer": .text("sgd")],
               tanh: true, tags: ["sweep", "baseline"], status: .finished,
               evaluations: [Evaluation(step: 10, split: "test", accuracy: 0.8, loss: 0.5),
                             Evaluation(step: 10, split: "train", accuracy: 0.85, loss: 0.4)])
    try record(3, name: "gamma",
               hyperparameters: ["learning_rate": .real(0.5), "batch_size": .integer(16), "activation": .text("relu"),
                                 "optimizer": .text("sgd")],
               digitsData: true, tags: ["sweep"], status: .failed, errorMessage: "diverged",
               evaluations: [Evaluation(step: 3, split: "test", accuracy: 0.1, loss: .nan)])
    try record(4, name: nil, hyperparameters: ["batch_size": .integer(8), "optimizer": .text("sgd")],
               digitsData: true, tags: [], status: .interrupted, evaluations: [])
    try record(5, name: "x'; DROP TABLE runs; --",
               hyperparameters: ["learning_rate": .real(0.01), "batch_size": .integer(16), "activation": .text("relu"),
                                 "optimizer": .text("sgd")],
               tags: ["it's"], status: .finished,
               evaluations: [Evaluation(step: 10, split: "test", accuracy: 0.9, loss: 0.35)])
    try record(6, name: "delta",
               hyperparameters: ["learning_rate": .integer(1), "batch_size": .integer(64), "activation": .text("tanh"),
                                 "optimizer": .text("sgd")],
               tanh: true, tags: [], status: .running, evaluations: [])
}

/// A fresh database holding the fixture runs; remove the folder when done.
private func fixtureDatabase(_ folder: TemporaryFolder) throws -> TrackerDatabase {
    let database = try TrackerDatabase.open(path: folder.path("filters.sqlite"))
    try recordFixtureRuns(database)
    return database
}

private func ids(_ database: TrackerDatabase, _ filter: String) throws -> [Int64] {
    try database.runIDs(matching: RunFilterExpression(parsing: filter))
}

/// Checks each filter's selection against the fixture's table, worked out by hand.
private func expectSelections(_ database: TrackerDatabase, _ cases: [(String, [Int64])],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
    for (filter, expected) in cases {
        #expect(try ids(database, filter) == expected, "\(filter)", sourceLocation: sourceLocation)
    }
}

@Suite struct RunFilterSelectionTests {
    @Test func noFilterSelectsEveryRunInIdOrder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        #expect(try database.runIDs(matching: nil) == [1, 2, 3, 4, 5, 6])
    }

    @Test func runColumnsAndTheirDimensions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("id <= 2", [1, 2]),
            ("uuid LIKE '%0002'", [2]),
            ("seed IN (1, 2, 3)", [1, 2, 3]),
            ("seed NOT IN (1,2,3)", [4, 5, 6]),
            ("seed > 4", [5, 6]),
            ("seed = TRUE", [1]),
            ("seed = 2.0", [2]),
            ("status = 'failed'", [3]),
            ("status IN ('running', 'interrupted')", [4, 6]),
            ("name = 'alpha'", [1]),
            ("name LIKE 'AL%'", [1]),
            ("name NOT LIKE '%a'", [5]),
            ("name IS NULL", [4]),
            ("name = 'ALPHA'", []),
            ("arch = '4-8tanh-3'", [2, 6]),
            ("architecture LIKE '%relu%'", [1, 3, 4, 5]),
            ("arch = 'mlp'", []),
            ("dataset = 'digits'", [3, 4]),
            ("parameter_count = 67", [1, 2, 3, 4, 5, 6]),
            ("ended_at IS NULL", [6]),
            ("created_at IS NOT NULL AND started_at >= '2000' AND ended_at > '2000'", [1, 2, 3, 4, 5]),
            ("error_message LIKE '%diverg%'", [3]),
            ("total_steps = 10 AND test_samples = 10 AND train_samples = 20 AND probe_samples = 8", [1, 2, 3, 4, 5, 6]),
            ("host = 'test-host' AND tracker_version != '' AND command_line LIKE 'tracker%'", [1, 2, 3, 4, 5, 6]),
        ])
    }

    @Test func hyperparametersCompareByTypeAndAliasesNameTheirKeys() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("lr > 0.01", [1, 3, 6]),
            ("learning_rate > 0.01", [1, 3, 6]),
            ("lr >= 0.01", [1, 3, 5, 6]),
            ("lr <= 0.01", [2, 5]),
            ("lr = 1", [6]),
            ("lr = 1.0", [6]),
            ("lr IN (0.05, 0.5)", [1, 3]),
            ("lr NOT IN (0.05, 0.5)", [2, 5, 6]),
            ("lr IS NULL", [4]),
            ("lr IS NOT NULL", [1, 2, 3, 5, 6]),
            ("batch = 16", [1, 3, 5]),
            ("batch = 16.0", [1, 3, 5]),
            ("batch = '16'", []),
            ("batch_size IN (8, 64)", [4, 6]),
            ("activation = 'tanh'", [2, 6]),
            ("activation LIKE 'T%'", [2, 6]),
            ("optimizer = 'sgd'", [1, 2, 3, 4, 5, 6]),
            ("momentum > 0", []),
        ])
    }

    @Test func tagsMatchWhenSomeTagSatisfiesTheTest() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("tag = 'baseline'", [1, 2]),
            ("tag != 'baseline'", [2, 3, 5]),
            ("NOT tag = 'baseline'", [3, 4, 5, 6]),
            ("tag IN ('sweep')", [2, 3]),
            ("tag NOT IN ('baseline', 'sweep')", [5]),
            ("tag LIKE 'SW%'", [2, 3]),
            ("tag = 'it''s'", [5]),
            ("tag = 'baseline' AND tag = 'sweep'", [2]),
            ("tag IS NULL", [4, 6]),
            ("tag IS NOT NULL", [1, 2, 3, 5]),
        ])
    }

    @Test func finalMetricsAreTheLatestEvaluationOfTheirSplit() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("test_accuracy > 0.85", [1, 5]),
            ("test_accuracy < 0.75", [3]),  // run 1's earlier 0.7 does not count
            ("test_loss >= 0.3", [1, 2, 5]),
            ("test_loss IS NULL", [3, 4, 6]),
            ("test_accuracy IS NULL", [4, 6]),
            ("train_accuracy >= 0.9", [1]),
            ("train_loss < 0.5", [1, 2]),
            ("train_accuracy IS NULL", [3, 4, 5, 6]),
        ])
        let overview = try database.query(
            sql: "SELECT run_id FROM run_overview WHERE test_accuracy > 0.85 ORDER BY run_id")
        #expect(overview.column("run_id") == [.integer(1), .integer(5)])
    }

    @Test func notSelectsExactlyTheRunsItsOperandDoesNot() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("NOT lr > 0.01", [2, 4, 5]),
            ("lr != 0.05", [2, 3, 5, 6]),
            ("NOT lr = 0.05", [2, 3, 4, 5, 6]),
            ("NOT lr IN (0.05, 0.5)", [2, 4, 5, 6]),
            ("name != 'alpha'", [2, 3, 5, 6]),
            ("NOT name = 'alpha'", [2, 3, 4, 5, 6]),
            ("NOT status = 'failed'", [1, 2, 4, 5, 6]),
            ("NOT activation = 'relu'", [2, 4, 6]),
            ("NOT test_accuracy > 0.85", [2, 3, 4, 6]),
            ("NOT NOT tag = 'sweep'", [2, 3]),
        ])
        let all: Set<Int64> = [1, 2, 3, 4, 5, 6]
        for filter in ["lr > 0.01", "lr != 0.05", "lr NOT IN (0.05)", "name = 'alpha'", "name NOT LIKE 'a%'",
                       "tag != 'baseline'", "tag IS NULL", "test_loss < 1", "train_accuracy > 0", "ended_at > ''",
                       "error_message = 'diverged'", "activation = 'relu' OR seed = 4", "lr > 0.01 AND tag = 'sweep'"] {
            let selected = Set(try ids(database, filter))
            let complement = Set(try ids(database, "NOT (\(filter))"))
            #expect(selected.isDisjoint(with: complement), "\(filter)")
            #expect(selected.union(complement) == all, "\(filter)")
        }
    }

    @Test func connectivesCombineWithTheirPrecedence() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        try expectSelections(database, [
            ("lr > 0.01 AND (arch = '4-8tanh-3' OR tag = 'baseline') AND seed IN (1,2,3) AND NOT status = 'failed'",
             [1]),
            ("lr > 0.01 AND (arch = '4-8tanh-3' OR tag = 'baseline')", [1, 6]),
            ("seed = 1 OR seed = 2 AND status = 'failed'", [1]),
            ("(seed = 1 OR seed = 2) AND status = 'finished'", [1, 2]),
            ("NOT seed = 1 AND NOT seed = 2", [3, 4, 5, 6]),
            ("NOT (seed = 1 OR seed = 2) OR tag = 'baseline'", [1, 2, 3, 4, 5, 6]),
        ])
    }

    @Test func filterTextIsOnlyEverBound() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        let injection = try RunFilterExpression(parsing: "name = 'x''; DROP TABLE runs; --'")
        #expect(injection.sql(runAlias: "r") == RunFilterSQL(sql: "((r.name = ?) IS TRUE)",
                                                           arguments: [.text("x'; DROP TABLE runs; --")]))
        #expect(try database.runIDs(matching: injection) == [5])
        #expect(try ids(database, "tag = 'x'') OR 1 = 1 OR (''' OR x = 1") == [])
        #expect(try ids(database, "tag = 'baseline' OR r = 'x'") == [1, 2])  // a name is never an SQL identifier
        #expect(try database.runIDs(matching: nil).count == 6)

        let values = ["x'); DELETE FROM runs; --", "1 OR 1=1", "\" OR \"\"=\""]
        let hostile = try RunFilterExpression(parsing: values.map { value in
            "drop_table_runs = \(RunFilterExpression.Value.text(value))"
        }.joined(separator: " OR "))
        let compiled = hostile.sql(runAlias: "r")
        for text in ["drop_table_runs", "DELETE", "1=1", "\""] { #expect(!compiled.sql.contains(text), "\(text)") }
        #expect(compiled.arguments.filter { $0 == .text("drop_table_runs") }.count == 3)
        #expect(values.allSatisfy { compiled.arguments.contains(.text($0)) })
        #expect(try database.runIDs(matching: hostile) == [])
    }

    @Test func theCompiledConditionBindsEveryValueInPlaceholderOrder() throws {
        let seeds = try RunFilterExpression(parsing: "seed IN (1, 2, 3)").sql(runAlias: "r")
        #expect(seeds == RunFilterSQL(sql: "(r.seed IN (?, ?, ?))", arguments: [.integer(1), .integer(2), .integer(3)]))
        let rate = try RunFilterExpression(parsing: "lr > 0.01").sql(runAlias: "run")
        #expect(rate.sql == "(EXISTS (SELECT 1 FROM hyperparameters AS filter_hyperparameter "
            + "WHERE filter_hyperparameter.set_id = run.hyperparameter_set_id AND filter_hyperparameter.key = ? "
            + "AND filter_hyperparameter.value > ?))")
        #expect(rate.arguments == [.text("learning_rate"), .real(0.01)])
        let mixed = try RunFilterExpression(parsing: "a = 1 OR tag IN ('x', 'y') AND NOT b LIKE 'z%' OR c IS NULL")
            .sql(runAlias: "r")
        #expect(mixed.arguments
            == [.text("a"), .integer(1), .text("x"), .text("y"), .text("b"), .text("z%"), .text("c")])
        #expect(mixed.sql.filter { $0 == "?" }.count == mixed.arguments.count)
    }

    @Test func theConditionWorksInsideOtherQueries() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        let condition = try RunFilterExpression(parsing: "tag = 'sweep' AND test_accuracy > 0.5").sql(runAlias: "run")
        let rows = try database.read { (db: Database) throws in
            try String.fetchAll(db, sql: """
                SELECT o.name FROM run_overview AS o JOIN runs AS run ON run.id = o.run_id
                WHERE \(condition.sql) ORDER BY o.run_id
                """, arguments: condition.statementArguments)
        }
        #expect(rows == ["beta"])
    }

    @Test func unknownNamesAreThoseNoRunHas() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try fixtureDatabase(folder)
        let filter = try RunFilterExpression(parsing: """
            lrr > 0.1 AND lr > 0 OR stauts = 'failed' AND momentum = 0.9 AND tag = 'x' AND test_accuracy > 0
            AND activation = 'relu' AND batch = 1 AND learning_rate < 1 AND lrr < 1 AND Seed = 1 AND seed = 1
            """)
        #expect(try database.unknownNames(in: filter) == ["lrr", "stauts", "momentum", "Seed"])
        #expect(try database.unknownNames(in: RunFilterExpression(parsing: "seed = 1 AND tag = 'a'")) == [])
        let known = RunFilterExpression.runColumnNames + ["tag"] + RunFilterExpression.finalMetricNames
        #expect(try database.filterNames()
            == known + ["batch", "lr", "activation", "batch_size", "learning_rate", "optimizer"])

        let empty = try TrackerDatabase.open(path: folder.path("empty.sqlite"))
        #expect(try empty.unknownNames(in: RunFilterExpression(parsing: "lr > 1 AND seed = 1 AND tag = 'a'")) == ["lr"])
        #expect(try empty.filterNames() == known)
        #expect(try empty.runIDs(matching: RunFilterExpression(parsing: "seed = 1 OR NOT lr > 1")) == [])
    }

    @Test func theNameTableResolvesInOrder() {
        #expect(RunFilterName("seed") == .runColumn(sql: "{run}.seed", isNullable: false))
        #expect(RunFilterName("name") == .runColumn(sql: "{run}.name", isNullable: true))
        #expect(RunFilterName("tag") == .tag)
        #expect(RunFilterName("train_loss") == .finalMetric(split: "train", column: "loss"))
        #expect(RunFilterName("lr") == .hyperparameter(key: "learning_rate"))
        #expect(RunFilterName("batch") == .hyperparameter(key: "batch_size"))
        #expect(RunFilterName("momentum") == .hyperparameter(key: "momentum"))
        #expect(RunFilterName("test_samples") == .runColumn(sql: "{run}.test_samples", isNullable: false))
        let fixed = RunFilterExpression.runColumnNames + ["tag"] + RunFilterExpression.finalMetricNames
            + RunFilterExpression.hyperparameterAliases.keys
        #expect(Set(fixed).count == fixed.count)
    }
}
