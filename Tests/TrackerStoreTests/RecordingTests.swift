// Recording runs: deduplication, typed hyperparameters, batched rows, final status.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct RecordingTests {
    @Test func runsShareIdenticalArchitecturesHyperparametersAndDatasets() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("dedupe.sqlite"))
        try recordSampleRun(database, sampleRun(seed: 1))
        try recordSampleRun(database, sampleRun(seed: 2))
        try recordSampleRun(database, sampleRun(seed: 3, learningRate: 0.2))
        try database.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") == 3)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM architectures") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM layers") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM datasets") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM hyperparameter_sets") == 2)
            let spec = try String.fetchOne(db, sql: "SELECT spec FROM architectures")
            #expect(spec == #"{"inputSize":4,"layers":[{"activation":"relu","kind":"dense","units":8},{"kind":"dense","units":3}]}"#)
            let hash = try String.fetchOne(db, sql: "SELECT content_hash FROM architectures")
            #expect(hash == ContentHash.sha256Hex(spec!))
        }
    }

    /// The data set row holds what the data are (shape, held-out count); the path each run was given stays on the run.
    @Test func dataSetShapesAndRunDataPathsAreStored() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("data.sqlite"))
        for path in ["a/mnist", "b/mnist-copy.gz", nil] {
            var run = sampleRun()
            run.dataset.sampleShape = "1x2x2"
            run.dataset.testSampleCount = 10
            run.dataPath = path
            try recordSampleRun(database, run)
        }
        try database.read { (db: Database) throws in
            #expect(try Row.fetchAll(db, sql: "SELECT name, sample_shape, test_sample_count FROM datasets")
                    == [["name": "toy", "sample_shape": "1x2x2", "test_sample_count": 10]])
            #expect(try Row.fetchAll(db, sql: "SELECT dataset_id, data_path FROM runs ORDER BY id")
                    == [["dataset_id": 1, "data_path": "a/mnist"], ["dataset_id": 1, "data_path": "b/mnist-copy.gz"],
                        ["dataset_id": 1, "data_path": nil]])
        }
    }

    @Test func hyperparametersKeepTheirSQLTypes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("typed.sqlite"))
        try recordSampleRun(database, sampleRun(learningRate: 0.005))
        try recordSampleRun(database, sampleRun(learningRate: 0.05))
        try recordSampleRun(database, sampleRun(learningRate: 0.5))
        try database.read { (db: Database) throws in
            let types = try Row.fetchAll(db, sql: "SELECT DISTINCT key, typeof(value) AS type FROM hyperparameters ORDER BY key")
                .map { "\($0["key"] as String)=\($0["type"] as String)" }
            #expect(types == ["batch_size=integer", "learning_rate=real", "optimizer=text"])
            let selected = try Double.fetchAll(db, sql: """
                SELECT h.value FROM runs r JOIN hyperparameters h ON h.set_id = r.hyperparameter_set_id
                WHERE h.key = 'learning_rate' AND h.value > 0.01 ORDER BY h.value
                """)
            #expect(selected == [0.05, 0.5])
            let json = try String.fetchOne(db, sql: "SELECT canonical_json FROM hyperparameter_sets ORDER BY id LIMIT 1")
            #expect(json == #"{"batch_size":16,"learning_rate":0.005,"optimizer":"sgd"}"#)
        }
    }

    @Test func recordedRowsArriveAndTheRunIsFinished() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("rows.sqlite"))
        let runID = try recordSampleRun(database)
        try database.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM step_metrics WHERE run_id = ?", arguments: [runID]) == 10)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshots WHERE run_id = ?", arguments: [runID]) == 3)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM evaluations WHERE run_id = ?", arguments: [runID]) == 1)
            let run = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])!
            #expect(run["status"] as String == "finished")
            #expect((run["ended_at"] as String?) != nil)
            #expect((run["uuid"] as String).count == 36)
            #expect(try String.fetchAll(db, sql: "SELECT tag FROM tags") == ["t1"])
            let loss = try Double.fetchOne(db, sql: "SELECT train_loss FROM step_metrics WHERE step = 4")
            #expect(loss == 0.25)
            let started = run["started_at"] as String
            #expect(started.hasSuffix("Z") && started.count == 24)
            #expect(try String.fetchOne(db, sql: "SELECT datetime(?)", arguments: [started]) != nil)
        }
    }

    @Test func nonFiniteLossesAreStoredAsNull() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("nan.sqlite"))
        let recorder = try database.beginRun(sampleRun())
        recorder.record(step: StepMetricsRow(step: 1, epoch: 0, trainLoss: .nan, trainAccuracy: 0.1, learningRate: 1,
                                             wallTime: 0.1))
        recorder.record(step: StepMetricsRow(step: 2, epoch: 0, trainLoss: .infinity, trainAccuracy: 0.1,
                                             learningRate: 1, wallTime: 0.2))
        recorder.record(evaluation: EvaluationRow(step: 2, split: "test", loss: .nan, accuracy: 0.1, sampleCount: 10,
                                                  wallTime: 0.2))
        try recorder.finish(.failed, errorMessage: "diverged")
        try database.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM step_metrics WHERE train_loss IS NULL") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM evaluations WHERE loss IS NULL") == 1)
            #expect(try String.fetchOne(db, sql: "SELECT error_message FROM runs") == "diverged")
            #expect(try String.fetchOne(db, sql: "SELECT status FROM runs") == "failed")
        }
    }

    @Test func penaltiesAreStoredApartFromTheTaskLoss() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("penalties.sqlite"))
        let recorder = try database.beginRun(sampleRun())
        for path in [RunRecorder.BindingPath.direct, .statementArguments] {
            recorder.bindingPath = path
            let step = path == .direct ? 1 : 2
            recorder.record(step: StepMetricsRow(step: step, epoch: 0, trainLoss: 2, trainAccuracy: 0.1,
                                                 learningRate: 1, wallTime: 0.1, penalty: step == 1 ? 0.75 : .nan))
            recorder.record(penalty: StepPenaltyRow(step: step, name: "decov_dense1", value: 0.5))
            recorder.record(penalty: StepPenaltyRow(step: step, name: "decov_dense2", value: step == 1 ? 0.25 : .nan))
        }
        #expect(recorder.pendingRows == 6)
        try recorder.flush()
        recorder.bindingPath = .direct
        recorder.record(step: StepMetricsRow(step: 3, epoch: 0, trainLoss: 2, trainAccuracy: 0.1, learningRate: 1,
                                             wallTime: 0.1))
        try recorder.finish(.finished)
        let steps = try database.query(sql: "SELECT step, train_loss, penalty FROM step_metrics ORDER BY step")
        #expect(steps.rows == [[.integer(1), .real(2), .real(0.75)], [.integer(2), .real(2), .null],
                               [.integer(3), .real(2), .real(0)]])
        let penalties = try database.query(sql: "SELECT step, name, value FROM step_penalties ORDER BY step, name")
        #expect(penalties.rows == [[.integer(1), .text("decov_dense1"), .real(0.5)],
                                   [.integer(1), .text("decov_dense2"), .real(0.25)],
                                   [.integer(2), .text("decov_dense1"), .real(0.5)],
                                   [.integer(2), .text("decov_dense2"), .null]])
        let objective = try database.query(sql: """
            SELECT m.train_loss + sum(p.value) FROM step_metrics m JOIN step_penalties p USING (run_id, step)
            WHERE m.step = 1 GROUP BY m.step
            """)
        #expect(objective.rows == [[.real(2.75)]])
        try database.write { db in try db.execute(sql: "DELETE FROM runs") }
        #expect(try database.query(sql: "SELECT count(*) FROM step_penalties").rows == [[.integer(0)]])
    }

    @Test func aFailedFlushKeepsTheBatchAndWritesNothingOfIt() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("batch.sqlite"))
        let recorder = try database.beginRun(sampleRun())
        recorder.record(step: StepMetricsRow(step: 1, epoch: 0, trainLoss: 1, trainAccuracy: 0.1, learningRate: 1,
                                             wallTime: 0.1))
        recorder.record(step: StepMetricsRow(step: 1, epoch: 0, trainLoss: 1, trainAccuracy: 0.1, learningRate: 1,
                                             wallTime: 0.1))  // duplicate key: the batch must fail as a whole
        #expect(throws: StoreError.self) { try recorder.flush() }
        #expect(recorder.pendingRows == 2)
        #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM step_metrics") } == 0)
    }

    @Test func bothBindingPathsWriteTheSameRowsEvenWhenMixed() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("paths.sqlite"))
        let recorder = try database.beginRun(sampleRun())
        // GRDB leaves a cached statement stepped but not reset; the direct path must still bind every value.
        for (index, path) in [RunRecorder.BindingPath.direct, .statementArguments, .direct, .statementArguments]
            .enumerated() {
            recorder.bindingPath = path
            for offset in 1...3 {
                let step = index * 3 + offset
                recorder.record(step: StepMetricsRow(step: step, epoch: index, trainLoss: Double(step) / 10,
                                                     trainAccuracy: 0.5, learningRate: 0.1, wallTime: Double(step)))
            }
            try recorder.flush()
        }
        let rows = try database.query(sql: "SELECT run_id, step, epoch, train_loss FROM step_metrics ORDER BY step")
        #expect(rows.rows.count == 12)
        for (index, row) in rows.rows.enumerated() {
            #expect(row == [.integer(recorder.runID), .integer(Int64(index + 1)), .integer(Int64(index / 3)),
                            .real(Double(index + 1) / 10)])
        }
    }
}
