// Read-only access: the runs list, one run's details, ad-hoc SQL and the named queries of Queries/.
import Foundation
import GRDB

/// Filters for ``TrackerDatabase/runs(_:)``.
public struct RunFilter: Sendable {
    public var status: RunStatus?
    public var tag: String?
    /// Case-insensitive substring of the run's name.
    public var nameContains: String?
    public var limit: Int?

    public init(status: RunStatus? = nil, tag: String? = nil, nameContains: String? = nil, limit: Int? = nil) {
        self.status = status
        self.tag = tag
        self.nameContains = nameContains
        self.limit = limit
    }
}

extension TrackerDatabase {
    /// Runs, newest first, one row each from the `run_overview` view.
    public func runs(_ filter: RunFilter = RunFilter()) throws -> ResultTable {
        try read { db in
            let statement = try db.makeStatement(sql: """
                SELECT run_id AS id, substr(uuid, 1, 8) AS uuid, name, status, architecture, dataset, seed,
                       round(test_accuracy, 4) AS test_accuracy, last_step, total_steps, tags, created_at
                FROM run_overview
                WHERE (:status IS NULL OR status = :status)
                  AND (:tag IS NULL OR EXISTS (SELECT 1 FROM tags t WHERE t.run_id = run_overview.run_id AND t.tag = :tag))
                  AND (:name IS NULL OR instr(lower(coalesce(name, '')), lower(:name)) > 0)
                ORDER BY created_at DESC, run_id DESC
                LIMIT coalesce(:limit, -1)
                """)
            return try ResultTable.fetch(statement, arguments: [
                "status": filter.status?.rawValue, "tag": filter.tag, "name": filter.nameContains,
                "limit": filter.limit,
            ])
        }
    }

    /// The run id for an integer id or a unique prefix of its uuid. Digits are an id first; eight or more digits that
    /// are no id are read as a uuid prefix too (`tracker runs` prints eight-character prefixes, a few of them digits).
    public func resolveRun(_ reference: String) throws -> Int64 {
        let trimmed = reference.trimmingCharacters(in: .whitespaces).lowercased()
        return try read { db in
            if let id = Int64(trimmed) {
                if try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE id = ?", arguments: [id]) != nil { return id }
                guard trimmed.count >= 8 else { throw StoreError.runNotFound(reference) }
            }
            guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw StoreError.runNotFound(reference)
            }
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE uuid LIKE ? || '%' LIMIT 2",
                                         arguments: [trimmed])
            switch ids.count {
            case 1: return ids[0]
            case 0: throw StoreError.runNotFound(reference)
            default:
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE uuid LIKE ? || '%'",
                                             arguments: [trimmed]) ?? ids.count
                throw StoreError.ambiguousRun(reference, matches: count)
            }
        }
    }

    /// The id of the run with exactly this uuid (lowercase), or nil.
    public func runID(forUUID uuid: String) throws -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE uuid = ?", arguments: [uuid.lowercased()]) }
    }

    /// The uuids of runs, in the order of `runIDs`.
    public func uuids(of runIDs: [Int64]) throws -> [String] {
        try read { db in
            try runIDs.map { id in
                guard let uuid = try String.fetchOne(db, sql: "SELECT uuid FROM runs WHERE id = ?", arguments: [id]) else {
                    throw StoreError.runNotFound(String(id))
                }
                return uuid
            }
        }
    }

    /// Everything `tracker show` prints about one run, with the series of `statistic` per probed layer.
    ///
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` when `statistic` is no statistic column of the file.
    public func runDetails(_ runID: Int64, statistic: String = "mean_abs_r") throws -> RunDetails {
        let column = try statisticColumn(statistic)
        return try read { db in
            let overview = try ResultTable.fetch(db.makeStatement(sql: """
                SELECT o.run_id AS id, o.uuid, o.name, o.status, o.architecture, o.dataset, r.data_path,
                       d.sample_shape, o.seed, o.tags,
                       o.created_at, r.started_at, o.ended_at, r.train_samples, r.test_samples, r.probe_samples,
                       o.last_step, o.total_steps, r.snapshot_schedule, r.tracker_version, r.host, r.command_line,
                       r.error_message, a.parameter_count
                FROM run_overview o JOIN runs r ON r.id = o.run_id JOIN architectures a ON a.id = r.architecture_id
                JOIN datasets d ON d.id = r.dataset_id
                WHERE o.run_id = ?
                """), arguments: [runID])
            guard !overview.rows.isEmpty else { throw StoreError.runNotFound(String(runID)) }
            let hyperparameters = try ResultTable.fetch(db.makeStatement(sql: """
                SELECT h.key, h.value FROM hyperparameters h JOIN runs r ON r.hyperparameter_set_id = h.set_id
                WHERE r.id = ? ORDER BY h.key
                """), arguments: [runID])
            let layers = try ResultTable.fetch(db.makeStatement(sql: """
                SELECT l.layer_index AS "index", l.name, l.kind, l.units, l.activation, l.is_hidden AS hidden
                FROM layers l JOIN runs r ON r.architecture_id = l.architecture_id
                WHERE r.id = ? ORDER BY l.layer_index
                """), arguments: [runID])
            let finalMetrics = try ResultTable.fetch(db.makeStatement(sql: """
                SELECT e.split, e.step, e.loss, e.accuracy, e.sample_count AS samples
                FROM evaluations e
                WHERE e.run_id = ? AND e.step = (SELECT max(step) FROM evaluations WHERE run_id = e.run_id)
                ORDER BY e.split
                """), arguments: [runID])
            let lastStep = try ResultTable.fetch(db.makeStatement(sql: """
                SELECT step, epoch, train_loss, penalty, train_accuracy, learning_rate, wall_time
                FROM step_metrics WHERE run_id = ? ORDER BY step DESC LIMIT 1
                """), arguments: [runID])
            let snapshotCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshots WHERE run_id = ?",
                                                 arguments: [runID]) ?? 0
            var series: [LayerSeries] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT layer_index, layer_name, reduction, step, "\(column)" AS value,
                       (SELECT count(DISTINCT s.reduction) FROM snapshots s
                        WHERE s.run_id = snapshot_series.run_id AND s.layer_index = snapshot_series.layer_index)
                           AS reductions
                FROM snapshot_series WHERE run_id = ?
                ORDER BY layer_index, reduction, step
                """, arguments: [runID])
            for row in rows {
                // A layer snapshotted with several reductions (recurrent: time_pooled, last_step) has a series each.
                let reductions: Int = row["reductions"]
                let layerName: String = row["layer_name"]
                let reduction: String = row["reduction"]
                let name = reductions > 1 ? "\(layerName)[\(reduction)]" : layerName
                if series.last?.layerName != name { series.append(LayerSeries(layerName: name, steps: [], values: [])) }
                series[series.count - 1].steps.append(row["step"])
                series[series.count - 1].values.append(row["value"])
            }
            return RunDetails(overview: overview, hyperparameters: hyperparameters, layers: layers,
                              finalEvaluations: finalMetrics, lastStep: lastStep, snapshotCount: snapshotCount,
                              statistic: column, series: series)
        }
    }

    /// Runs one read-only SQL statement through a read-only connection.
    ///
    /// - Throws: ``StoreError/writeRefused(sql:)`` for a statement that would write (checked with
    ///   `sqlite3_stmt_readonly` before it runs; the connection is read-only as well), or the SQLite error.
    public func query(sql: String, arguments: [String: SQLValue] = [:]) throws -> ResultTable {
        try read { db in
            let statements = try db.allStatements(sql: sql)
            guard let statement = try statements.next() else { throw StoreError.noStatement }
            guard try statements.next() == nil else { throw StoreError.multipleStatements }
            guard statement.isReadonly else { throw StoreError.writeRefused(sql: sql) }
            let values = arguments.mapValues { $0.databaseValue as (any DatabaseValueConvertible)? }
            return try ResultTable.fetch(statement, arguments: arguments.isEmpty ? [] : StatementArguments(values))
        }
    }

    /// Runs a named query of `Queries/` with `parameters` (name → value, without the colon).
    public func query(named name: String, parameters: [String: SQLValue]) throws -> ResultTable {
        guard let query = NamedQuery.all.first(where: { $0.name == name }) else { throw StoreError.unknownQuery(name) }
        let known = query.parameters.map(\.name)
        for key in parameters.keys where !known.contains(key) {
            throw StoreError.unknownParameter(query: name, parameter: key, known: known)
        }
        var arguments: [String: SQLValue] = [:]
        for parameter in query.parameters {
            let value = parameters[parameter.name] ?? .null
            if parameter.isRequired && value == .null { throw StoreError.missingParameter(query: name, parameter: parameter.name) }
            arguments[parameter.name] = value
        }
        return try self.query(sql: query.sql, arguments: arguments)
    }
}

/// A probed layer's series of one snapshot statistic over the run's snapshot steps (nil where undefined).
public struct LayerSeries: Sendable, Equatable {
    public var layerName: String
    public var steps: [Int]
    public var values: [Double?]

    public init(layerName: String, steps: [Int], values: [Double?]) {
        self.layerName = layerName
        self.steps = steps
        self.values = values
    }
}

/// What `tracker show` needs about one run, as tables.
public struct RunDetails: Sendable {
    public var overview: ResultTable
    public var hyperparameters: ResultTable
    public var layers: ResultTable
    public var finalEvaluations: ResultTable
    public var lastStep: ResultTable
    public var snapshotCount: Int
    /// The statistic of ``series`` (a column of `snapshots`, `mean_abs_r` by default).
    public var statistic: String
    public var series: [LayerSeries]
}
