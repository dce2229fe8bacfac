// Selecting runs with a filter expression, and finding the names in a filter that stand for nothing.
import GRDB

extension TrackerDatabase {
    /// The ids of the runs a filter selects, ascending; every run when `filter` is nil.
    ///
    /// ```swift
    /// let ids = try database.runIDs(matching: RunFilterExpression(parsing: "lr > 0.01 AND NOT status = 'failed'"))
    /// ```
    /// A name that is no run column, `tag` or final metric is taken as a hyperparameter key, so a misspelt name
    /// selects nothing rather than failing: check a filter first with ``unknownNames(in:)``.
    public func runIDs(matching filter: RunFilterExpression?) throws -> [Int64] {
        let condition = filter?.sql(runAlias: "r") ?? RunFilterSQL(sql: "1", arguments: [])
        return try read { db in
            try Int64.fetchAll(db, sql: "SELECT r.id FROM runs AS r WHERE \(condition.sql) ORDER BY r.id",
                               arguments: condition.statementArguments)
        }
    }

    /// Every name a filter can use on this database: the run columns, `tag`, the final metrics, then the
    /// hyperparameter aliases whose key some run has, and every hyperparameter key of a run, sorted; each name once
    /// (a key spelt like a run column, such as `test_samples`, is listed as the run column it resolves to).
    public func filterNames() throws -> [String] {
        let keys = try hyperparameterKeys()
        let aliases = RunFilterExpression.hyperparameterAliases.filter { keys.contains($0.value) }.keys.sorted()
        let fixed = RunFilterExpression.runColumnNames + ["tag"] + RunFilterExpression.finalMetricNames
        return fixed + aliases + keys.sorted().filter { !fixed.contains($0) }
    }

    /// The names of `filter` that stand for nothing in this database, in order of first appearance: names that are
    /// no run column, `tag` or final metric, and (after aliases) no hyperparameter key of any run.
    ///
    /// ```swift
    /// try database.unknownNames(in: RunFilterExpression(parsing: "lrr > 0.1 OR lr < 0.01"))  // ["lrr"]
    /// ```
    /// On a database without runs every hyperparameter name is unknown.
    public func unknownNames(in filter: RunFilterExpression) throws -> [String] {
        try unknownNames(filter.names)
    }

    /// The names among `names` that stand for nothing in this database, in their order: what
    /// ``unknownNames(in:)`` reports for a filter using them (e.g. the keys of `tracker compare --group-by`).
    public func unknownNames(_ names: [String]) throws -> [String] {
        let keys = try hyperparameterKeys()
        return names.filter { name in
            guard case .hyperparameter(let key) = RunFilterName(name) else { return false }
            return !keys.contains(key)
        }
    }

    /// The hyperparameter keys of the runs of this database.
    private func hyperparameterKeys() throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT key FROM hyperparameters WHERE set_id IN (SELECT hyperparameter_set_id FROM runs)
                """))
        }
    }
}
