// Batch reads for comparing runs: what defines each run, values of filter names, statistics at given steps.
import Foundation
import GRDB

/// What a comparison needs to know about a run besides its snapshots: who it is, what defines it, how it ended.
public struct RunFacts: Sendable, Equatable {
    public let id: Int64
    public let uuid: String
    public let name: String?
    /// 'running', 'finished', 'failed' or 'interrupted'.
    public let status: String
    public let seed: Int64
    public let architectureID: Int64
    /// `architectures.summary`, e.g. `64-128relu-64relu-10`.
    public let architecture: String
    public let datasetID: Int64
    /// `datasets.name`.
    public let dataset: String
    public let hyperparameterSetID: Int64
    /// Every hyperparameter of the run's set, with its SQL type.
    public let hyperparameters: [String: SQLValue]
    public let totalSteps: Int
    /// Accuracy of the run's latest evaluation on the test split; nil when it has none yet.
    public let testAccuracy: Double?

    public init(id: Int64, uuid: String, name: String?, status: String, seed: Int64, architectureID: Int64,
                architecture: String, datasetID: Int64, dataset: String, hyperparameterSetID: Int64,
                hyperparameters: [String: SQLValue], totalSteps: Int, testAccuracy: Double?) {
        self.id = id
        self.uuid = uuid
        self.name = name
        self.status = status
        self.seed = seed
        self.architectureID = architectureID
        self.architecture = architecture
        self.datasetID = datasetID
        self.dataset = dataset
        self.hyperparameterSetID = hyperparameterSetID
        self.hyperparameters = hyperparameters
        self.totalSteps = totalSteps
        self.testAccuracy = testAccuracy
    }
}

/// A snapshot statistic read at a requested step: the nearest snapshot at or before it.
public struct SnapshotValueAtStep: Sendable, Equatable {
    public let runID: Int64
    public let layerIndex: Int
    public let layerName: String
    public let reduction: String
    /// The step asked for.
    public let requestedStep: Int
    /// The step of the snapshot read: the largest snapshot step ≤ `requestedStep`; nil when there is none.
    public let snapshotStep: Int?
    /// The statistic there; nil when there is no such snapshot or the statistic is NULL (a diverged layer).
    public let value: Double?
}

extension TrackerDatabase {
    /// Identity, definition and final test accuracy of each of the given runs, in ascending id order; two queries
    /// whatever the number of runs. Ids that name no run are left out.
    public func runFacts(_ runIDs: [Int64]) throws -> [RunFacts] {
        let ids = Self.jsonArray(runIDs)
        return try read { db in
            var hyperparameters: [Int64: [String: SQLValue]] = [:]
            let pairs = try Row.fetchCursor(db, sql: """
                SELECT s.id, h.key, h.value
                FROM hyperparameter_sets s JOIN hyperparameters h ON h.set_id = s.id
                WHERE s.id IN (SELECT hyperparameter_set_id FROM runs WHERE id IN (SELECT value FROM json_each(?)))
                """, arguments: [ids])
            while let row = try pairs.next() {
                hyperparameters[row[0], default: [:]][row[1]] = SQLValue(row[2] as DatabaseValue)
            }
            return try Row.fetchAll(db, sql: """
                SELECT r.id, r.uuid, r.name, r.status, r.seed, r.architecture_id, a.summary, r.dataset_id, d.name,
                       r.hyperparameter_set_id, r.total_steps,
                       (SELECT e.accuracy FROM evaluations e WHERE e.run_id = r.id AND e.split = 'test'
                        ORDER BY e.step DESC LIMIT 1)
                FROM runs r
                JOIN architectures a ON a.id = r.architecture_id
                JOIN datasets d ON d.id = r.dataset_id
                WHERE r.id IN (SELECT value FROM json_each(?))
                ORDER BY r.id
                """, arguments: [ids]).map { row in
                RunFacts(id: row[0], uuid: row[1], name: row[2], status: row[3], seed: row[4], architectureID: row[5],
                         architecture: row[6], datasetID: row[7], dataset: row[8], hyperparameterSetID: row[9],
                         hyperparameters: hyperparameters[row[9]] ?? [:], totalSteps: row[10], testAccuracy: row[11])
            }
        }
    }

    /// The value each name of the filter language stands for, for each of the given runs; one query.
    ///
    /// ```swift
    /// try database.runValues([1, 2], names: ["lr", "arch"])
    /// // [1: [.real(0.05), .text("64-128relu-64relu-10")], 2: [.real(0.01), .text("64-128relu-64relu-10")]]
    /// ```
    /// Names resolve as in ``RunFilterExpression``: a run column, `tag` (the run's tags, sorted and joined with
    /// commas), a final metric, or a hyperparameter key after aliases. A value the run does not have is NULL.
    public func runValues(_ runIDs: [Int64], names: [String]) throws -> [Int64: [SQLValue]] {
        var arguments: [SQLValue] = []
        let expressions = names.map { name -> String in
            switch RunFilterName(name) {
            case .runColumn(let sql, _):
                return sql.replacingOccurrences(of: "{run}", with: "r")
            case .tag:
                return "(SELECT group_concat(value_tag.tag, ',') FROM (SELECT tag FROM tags "
                    + "WHERE tags.run_id = r.id ORDER BY tag) AS value_tag)"
            case .finalMetric(let split, let column):
                // `split` and `column` come from RunFilterName's fixed table.
                return "(SELECT e.\(column) FROM evaluations e WHERE e.run_id = r.id AND e.split = '\(split)' "
                    + "ORDER BY e.step DESC LIMIT 1)"
            case .hyperparameter(let key):
                arguments.append(.text(key))
                return "(SELECT h.value FROM hyperparameters h WHERE h.set_id = r.hyperparameter_set_id AND h.key = ?)"
            }
        }
        arguments.append(.text(Self.jsonArray(runIDs)))
        let columns = expressions.isEmpty ? "" : ", " + expressions.joined(separator: ", ")
        return try read { db in
            var values: [Int64: [SQLValue]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT r.id\(columns) FROM runs AS r WHERE r.id IN (SELECT value FROM json_each(?))",
                arguments: StatementArguments(arguments.map { $0.databaseValue as (any DatabaseValueConvertible)? }))
            while let row = try rows.next() {
                values[row[0]] = (0..<names.count).map { SQLValue(row[$0 + 1] as DatabaseValue) }
            }
            return values
        }
    }

    /// The names of the probed layers of the given runs' architectures, each once, by layer index then name.
    public func probedLayerNames(runIDs: [Int64]) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT l.name FROM layers l
                WHERE l.is_probed = 1 AND l.architecture_id IN
                    (SELECT architecture_id FROM runs WHERE id IN (SELECT value FROM json_each(?)))
                GROUP BY l.name ORDER BY min(l.layer_index), l.name
                """, arguments: [Self.jsonArray(runIDs)])
        }
    }

    /// `statistic` of every snapshotted (run, layer, reduction) of the given runs at each of `steps`: the value of
    /// the nearest snapshot at or before the step. One query: an index seek per series and step.
    ///
    /// ```swift
    /// try database.snapshotValues(runIDs: [1], statistic: "mean_abs_r", atSteps: [0, 100])
    /// // run 1, dense1, step 0 → snapshot 0; step 100 → snapshot 100 (or 96 when the run snapshotted at 96, 150)
    /// ```
    /// - Parameter layerName: only layers with this name (nil: every probed layer).
    /// - Returns: Rows by run, layer index, reduction, then requested step in the order given.
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` for a statistic that is not a snapshot column.
    public func snapshotValues(runIDs: [Int64], statistic: String, atSteps steps: [Int],
                               layerName: String? = nil) throws -> [SnapshotValueAtStep] {
        let column = try statisticColumn(statistic)
        guard !runIDs.isEmpty, !steps.isEmpty else { return [] }
        return try read { db in
            // The series of a run are the (layer, reduction) pairs snapshotted at its first snapshot step (every
            // probed layer is snapshotted at every scheduled step): two primary-key seeks per run, where DISTINCT
            // over the snapshots would read them all. `firsts` is MATERIALIZED so that SQLite finds each run's first
            // step once, rather than scanning the run's snapshots and testing each against it. `column` is a
            // column name read from the schema.
            let rows = try Row.fetchCursor(db, sql: """
                WITH firsts AS MATERIALIZED (
                    SELECT r.id AS run_id, r.architecture_id,
                           (SELECT min(first.step) FROM snapshots first WHERE first.run_id = r.id) AS step
                    FROM runs r WHERE r.id IN (SELECT value FROM json_each(?1))
                ),
                series AS (
                    SELECT s.run_id, s.layer_index, s.reduction, l.name
                    FROM firsts
                    JOIN snapshots s ON s.run_id = firsts.run_id AND s.step = firsts.step
                    JOIN layers l ON l.architecture_id = firsts.architecture_id AND l.layer_index = s.layer_index
                    WHERE ?3 IS NULL OR l.name = ?3
                ),
                wanted AS (SELECT key AS position, value AS step FROM json_each(?2)),
                nearest AS (
                    SELECT series.run_id, series.layer_index, series.reduction, series.name, wanted.position,
                           wanted.step,
                           (SELECT max(s.step) FROM snapshots s
                            WHERE s.run_id = series.run_id AND s.layer_index = series.layer_index
                              AND s.reduction = series.reduction AND s.step <= wanted.step) AS snapshot_step
                    FROM series, wanted
                )
                SELECT n.run_id, n.layer_index, n.name, n.reduction, n.step, n.snapshot_step, s."\(column)"
                FROM nearest n
                LEFT JOIN snapshots s ON s.run_id = n.run_id AND s.step = n.snapshot_step
                    AND s.layer_index = n.layer_index AND s.reduction = n.reduction
                ORDER BY n.run_id, n.layer_index, n.reduction, n.position
                """, arguments: [Self.jsonArray(runIDs), Self.jsonArray(steps), layerName])
            var values: [SnapshotValueAtStep] = []
            while let row = try rows.next() {
                values.append(SnapshotValueAtStep(runID: row[0], layerIndex: row[1], layerName: row[2],
                                                  reduction: row[3], requestedStep: row[4], snapshotStep: row[5],
                                                  value: row[6]))
            }
            return values
        }
    }

    /// `[1,2,3]`: integers as a JSON array, for `json_each(?)`.
    static func jsonArray<Integer: BinaryInteger>(_ values: [Integer]) -> String {
        "[" + values.map { String($0) }.joined(separator: ",") + "]"
    }
}

extension SQLValue {
    /// Whether `left` sorts before `right` in SQLite's `ORDER BY`: NULL first, then numbers (integers and reals
    /// compared by value), then text (by bytes, as the BINARY collation), then blobs.
    public static func sortsBefore(_ left: SQLValue, _ right: SQLValue) -> Bool {
        func rank(_ value: SQLValue) -> Int {
            switch value {
            case .null: 0
            case .integer, .real: 1
            case .text: 2
            case .blob: 3
            }
        }
        switch (left, right) {
        case (.integer(let a), .integer(let b)): return a < b
        case (.integer(let a), .real(let b)): return Double(a) < b
        case (.real(let a), .integer(let b)): return a < Double(b)
        case (.real(let a), .real(let b)): return a < b
        case (.text(let a), .text(let b)): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        case (.blob(let a), .blob(let b)): return a.lexicographicallyPrecedes(b)
        default: return rank(left) < rank(right)
        }
    }
}
