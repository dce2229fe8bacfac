// What plots and reports read beside the snapshot series: the epoch and wall time of each snapshot step, and which
// statistics the runs actually stored.
import GRDB

/// When a run's snapshots were taken, in epochs and seconds, to put on a plot's x axis.
public struct SnapshotClock: Sendable, Equatable {
    public let runID: Int64
    /// Optimisation steps in the run's first epoch (the largest `step_metrics.step` of epoch 0); nil when the run
    /// recorded no step.
    public let stepsPerEpoch: Int?
    /// Seconds since the run started at each snapshot step: `step_metrics.wall_time` of that step (the step that
    /// completed `step` updates), and 0 for step 0. A step without a `step_metrics` row is absent.
    public let wallTimes: [Int: Double]
}

extension TrackerDatabase {
    /// The snapshot clock of each of `runIDs` that exists, keyed by run id. Two queries.
    public func snapshotClocks(runIDs: [Int64]) throws -> [Int64: SnapshotClock] {
        guard !runIDs.isEmpty else { return [:] }
        return try read { db in
            var perEpoch: [Int64: Int] = [:]
            let epochRows = try Row.fetchCursor(db, sql: """
                SELECT run_id, max(step) FROM step_metrics
                WHERE run_id IN (SELECT value FROM json_each(?)) AND epoch = 0 GROUP BY run_id
                """, arguments: [Self.jsonArray(runIDs)])
            while let row = try epochRows.next() { perEpoch[row[0]] = row[1] }
            var times: [Int64: [Int: Double]] = [:]
            let timeRows = try Row.fetchCursor(db, sql: """
                SELECT s.run_id, s.step, CASE WHEN s.step = 0 THEN 0.0 ELSE m.wall_time END
                FROM (SELECT DISTINCT run_id, step FROM snapshots WHERE run_id IN (SELECT value FROM json_each(?))) s
                LEFT JOIN step_metrics m ON m.run_id = s.run_id AND m.step = s.step
                """, arguments: [Self.jsonArray(runIDs)])
            while let row = try timeRows.next() {
                let id: Int64 = row[0]
                if times[id] == nil { times[id] = [:] }
                if let seconds: Double = row[2] { times[id]![row[1]] = seconds }
            }
            let existing = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))",
                                              arguments: [Self.jsonArray(runIDs)])
            return Dictionary(uniqueKeysWithValues: existing.map { id in
                (id, SnapshotClock(runID: id, stepsPerEpoch: perEpoch[id], wallTimes: times[id] ?? [:]))
            })
        }
    }

    /// The statistic columns of `snapshots` (``snapshotStatisticColumns()``, in table order) that hold at least one
    /// non-NULL value for the given runs: the statistics they recorded. One query.
    public func storedStatistics(runIDs: [Int64]) throws -> [String] {
        let columns = try snapshotStatisticColumns()
        guard !runIDs.isEmpty, !columns.isEmpty else { return [] }
        return try read { db in
            // Column names come from the schema, never from user text.
            let tests = columns.map { "EXISTS (SELECT 1 FROM snapshots WHERE run_id IN (SELECT value FROM json_each(?1)) AND \"\($0)\" IS NOT NULL)" }
            guard let row = try Row.fetchOne(db, sql: "SELECT " + tests.joined(separator: ", "),
                                             arguments: [Self.jsonArray(runIDs)]) else { return [] }
            return columns.indices.filter { (row[$0] as Bool?) == true }.map { columns[$0] }
        }
    }
}
