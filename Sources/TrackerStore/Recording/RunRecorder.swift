// Buffered, batched writes of one run's step metrics, evaluations and snapshots.
import Foundation
import GRDB
import GRDBSQLite

/// Writes one run's measurements (step metrics and penalties, evaluations, snapshots): rows are buffered in memory and written by ``flush()`` in one transaction
/// through cached prepared statements with direct `sqlite3_bind_*` calls (the training loop's hot path).
///
/// ```swift
/// let recorder = try database.beginRun(description)
/// recorder.record(step: row)           // cheap: appends to a buffer
/// try recorder.flush()                 // one transaction for everything buffered
/// try recorder.finish(.finished)
/// ```
/// A recorder has one owner (the training loop); it is not shared between threads.
public final class RunRecorder {
    public let runID: Int64
    /// How step rows are bound to their statement. `.direct` (the default) calls `sqlite3_bind_*` on the cached
    /// statement; `.statementArguments` uses GRDB's `StatementArguments`, kept so the benchmark can compare them.
    public var bindingPath: BindingPath = .direct
    public enum BindingPath: String, Sendable, CaseIterable { case direct, statementArguments }
    private let database: TrackerDatabase
    private var steps: [StepMetricsRow] = []
    private var penalties: [StepPenaltyRow] = []
    private var evaluations: [EvaluationRow] = []
    private var snapshots: [SnapshotRow] = []
    private var matrices: [CorrelationMatrixRow] = []
    /// The statistic columns of `snapshots` that ``SnapshotRow/statistics`` fills, beyond `mean_abs_r` and `mean_r`.
    public let statisticColumns: [String]
    private let snapshotSQL: String

    /// The statistic columns every tracker schema has, written from ``SnapshotRow/meanAbsR`` and ``SnapshotRow/meanR``.
    public static let baseStatisticColumns = ["mean_abs_r", "mean_r"]

    init(database: TrackerDatabase, runID: Int64, statisticColumns: [String] = []) {
        self.database = database
        self.runID = runID
        self.statisticColumns = statisticColumns
        let columns = ["run_id", "step", "layer_index", "reduction", "probe_samples", "units", "dead_units",
                       "non_finite_units", "pair_count", "mean_abs_r", "mean_r"] + statisticColumns
        snapshotSQL = "INSERT INTO snapshots (" + columns.map { "\"\($0)\"" }.joined(separator: ", ") + ") VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        steps.reserveCapacity(1024)
        snapshots.reserveCapacity(256)
    }

    /// Rows waiting for the next ``flush()``.
    public var pendingRows: Int { steps.count + penalties.count + evaluations.count + snapshots.count + matrices.count }

    public func record(step row: StepMetricsRow) { steps.append(row) }
    public func record(penalty row: StepPenaltyRow) { penalties.append(row) }
    public func record(evaluation row: EvaluationRow) { evaluations.append(row) }
    /// Buffers a snapshot; `row.statistics` must hold one value per ``statisticColumns``.
    public func record(snapshot row: SnapshotRow) {
        precondition(row.statistics.count == statisticColumns.count,
                     "a snapshot row has \(row.statistics.count) statistics for \(statisticColumns.count) columns")
        snapshots.append(row)
    }
    public func record(matrix row: CorrelationMatrixRow) { matrices.append(row) }

    /// Writes every buffered row and the run's heartbeat in one transaction. On failure nothing of the batch is
    /// written and the rows stay buffered.
    public func flush() throws {
        let runID = self.runID
        let database = self.database
        try database.write { db in
            if database.hasMoved(db) { throw StoreError.databaseMoved(path: database.path) }
            let stepStatement = try db.cachedStatement(sql: """
                INSERT INTO step_metrics (run_id, step, epoch, train_loss, train_accuracy, learning_rate, wall_time,
                    gradient_norm, penalty)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for row in steps where bindingPath == .statementArguments {
                try stepStatement.execute(arguments: [
                    runID, row.step, row.epoch, row.trainLoss.isFinite ? row.trainLoss : nil, row.trainAccuracy,
                    row.learningRate, row.wallTime, row.gradientNorm.flatMap { $0.isFinite ? $0 : nil },
                    row.penalty.isFinite ? row.penalty : nil,
                ])
            }
            for row in steps where bindingPath == .direct {
                var binder = DirectBinder(stepStatement)
                binder.integer(1, runID)
                binder.integer(2, row.step)
                binder.integer(3, row.epoch)
                binder.real(4, row.trainLoss)
                binder.real(5, row.trainAccuracy)
                binder.real(6, row.learningRate)
                binder.real(7, row.wallTime)
                binder.real(8, row.gradientNorm)
                binder.real(9, row.penalty)
                try binder.execute(db)
            }
            if !penalties.isEmpty {
                let penaltyStatement = try db.cachedStatement(sql: """
                    INSERT INTO step_penalties (run_id, step, name, value) VALUES (?, ?, ?, ?)
                    """)
                for row in penalties {
                    var binder = DirectBinder(penaltyStatement)
                    binder.integer(1, runID)
                    binder.integer(2, row.step)
                    binder.text(3, row.name)
                    binder.real(4, row.value)
                    try binder.execute(db)
                }
            }
            let snapshotStatement = try db.cachedStatement(sql: snapshotSQL)
            for row in snapshots {
                var binder = DirectBinder(snapshotStatement)
                binder.integer(1, runID)
                binder.integer(2, row.step)
                binder.integer(3, row.layerIndex)
                binder.text(4, row.reduction)
                binder.integer(5, row.probeSamples)
                binder.integer(6, row.units)
                binder.integer(7, row.deadUnits)
                binder.integer(8, row.nonFiniteUnits)
                binder.integer(9, row.pairCount)
                binder.real(10, row.meanAbsR)
                binder.real(11, row.meanR)
                for (offset, value) in row.statistics.enumerated() { binder.real(Int32(12 + offset), value) }
                try binder.execute(db)
            }
            if snapshots.contains(where: { $0.histogram != nil }) {
                let histogramStatement = try db.cachedStatement(sql: """
                    INSERT INTO snapshot_histograms (run_id, step, layer_index, reduction, counts) VALUES (?, ?, ?, ?, ?)
                    """)
                for row in snapshots {
                    guard let counts = row.histogram else { continue }
                    var binder = DirectBinder(histogramStatement)
                    binder.integer(1, runID)
                    binder.integer(2, row.step)
                    binder.integer(3, row.layerIndex)
                    binder.text(4, row.reduction)
                    binder.blob(5, counts)
                    try binder.execute(db)
                }
            }
            for row in matrices {
                try db.execute(
                    sql: """
                        INSERT INTO correlation_matrices (run_id, step, layer_index, reduction, units, upper_triangle)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [runID, row.step, row.layerIndex, row.reduction, row.units, row.littleEndianBytes])
            }
            for row in evaluations {
                try db.execute(
                    sql: """
                        INSERT INTO evaluations (run_id, step, split, loss, accuracy, sample_count, wall_time)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [runID, row.step, row.split, row.loss.isFinite ? row.loss : nil, row.accuracy,
                                row.sampleCount, row.wallTime])
            }
            try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [Timestamp.string(), runID])
        }
        steps.removeAll(keepingCapacity: true)
        penalties.removeAll(keepingCapacity: true)
        evaluations.removeAll(keepingCapacity: true)
        snapshots.removeAll(keepingCapacity: true)
        matrices.removeAll(keepingCapacity: true)
    }

    /// Flushes what is buffered, then sets the run's final status, end time and error message.
    ///
    /// The status is written even when the final flush fails, so a run never stays `running` because of it.
    public func finish(_ status: RunStatus, errorMessage: String? = nil) throws {
        var flushError: (any Error)?
        do { try flush() } catch { flushError = error }
        let message = errorMessage ?? flushError.map { "could not save the last measurements: \($0)" }
        let runID = self.runID
        try database.write { db in
            try db.execute(
                sql: "UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error_message = ? WHERE id = ?",
                arguments: [flushError == nil ? status.rawValue : RunStatus.failed.rawValue, Timestamp.string(),
                            Timestamp.string(), message, runID])
        }
        if let flushError { throw flushError }
    }

}

/// SQLite's SQLITE_TRANSIENT (the C macro is a cast of −1, which Swift does not import): copy the bound bytes.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Binds one row's values straight to a cached statement with `sqlite3_bind_*`, then executes it.
///
/// The statement is reset first: a cached statement may have been stepped by GRDB, and SQLite refuses to bind
/// to a statement that was not reset (SQLITE_MISUSE). The first failing bind code is kept and reported by
/// ``execute(_:)``, so a value is never silently left NULL.
private struct DirectBinder {
    let statement: Statement
    var failure: Int32 = SQLITE_OK

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
    }

    mutating func integer(_ index: Int32, _ value: some BinaryInteger) {
        record(sqlite3_bind_int64(statement.sqliteStatement, index, Int64(value)))
    }

    /// Binds TEXT (SQLite copies it: SQLITE_TRANSIENT).
    mutating func text(_ index: Int32, _ value: String) {
        record(sqlite3_bind_text(statement.sqliteStatement, index, value, -1, transientDestructor))
    }

    /// Binds a BLOB (SQLite copies it).
    mutating func blob(_ index: Int32, _ value: Data) {
        let code = value.withUnsafeBytes { bytes in
            sqlite3_bind_blob(statement.sqliteStatement, index, bytes.baseAddress, Int32(bytes.count), transientDestructor)
        }
        record(code)
    }

    /// Binds a REAL, or NULL when the value is nil, NaN or infinite (SQLite has no NaN; NULL says "not finite").
    mutating func real(_ index: Int32, _ value: Double?) {
        if let value, value.isFinite {
            record(sqlite3_bind_double(statement.sqliteStatement, index, value))
        } else {
            record(sqlite3_bind_null(statement.sqliteStatement, index))
        }
    }

    private mutating func record(_ code: Int32) {
        if failure == SQLITE_OK && code != SQLITE_OK { failure = code }
    }

    func execute(_ db: Database) throws {
        let handle = statement.sqliteStatement
        guard failure == SQLITE_OK else {
            throw StoreError.sqlite(message: "binding failed: \(String(cString: sqlite3_errstr(failure)))",
                                    sql: statement.sql)
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw StoreError.sqlite(message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }
}
