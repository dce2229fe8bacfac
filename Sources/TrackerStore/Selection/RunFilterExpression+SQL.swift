// Compiling a filter to an SQL boolean expression over a `runs` row, with every name and value bound.
import Foundation
import GRDB

/// An SQL boolean expression over one row of `runs`, and the values of its `?` placeholders in order.
///
/// The text holds only SQL written by the compiler (fixed column names, subqueries and operators) and `?`
/// placeholders: no name or value of the filter is ever pasted into it.
public struct RunFilterSQL: Sendable, Equatable {
    /// E.g. `(r.seed IN (?, ?, ?))`; always true or false for a row, never NULL.
    public let sql: String
    /// The values of the placeholders, left to right.
    public let arguments: [SQLValue]

    var statementArguments: StatementArguments {
        StatementArguments(arguments.map { $0.databaseValue as (any DatabaseValueConvertible)? })
    }
}

extension RunFilterExpression {
    /// Compiles the filter to an SQL condition on the `runs` row named `runAlias`.
    ///
    /// ```swift
    /// let condition = try RunFilterExpression(parsing: "seed IN (1, 2) AND tag = 'baseline'").sql(runAlias: "r")
    /// // condition.sql: ((r.seed IN (?, ?)) AND (EXISTS (SELECT 1 FROM tags AS filter_tag
    /// //                 WHERE filter_tag.run_id = r.id AND filter_tag.tag = ?)))
    /// // condition.arguments: [.integer(1), .integer(2), .text("baseline")]
    /// // used as: SELECT r.id FROM runs AS r WHERE <condition.sql>
    /// ```
    /// The condition is never NULL (see "Missing values" in ``RunFilterExpression``), so `NOT` complements it.
    ///
    /// - Parameter runAlias: The name of a `runs` row in the enclosing query: a plain identifier, not starting with
    ///   `filter_` (the prefix of the compiler's own aliases). Anything else is a programming error.
    public func sql(runAlias: String = "r") -> RunFilterSQL {
        precondition(runAlias.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } == true
                     && runAlias.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                     && !runAlias.hasPrefix("filter_"),
                     "run alias must be a plain identifier not starting with filter_: \(runAlias)")
        var compiler = RunFilterCompiler(run: runAlias)
        let sql = compiler.compile(self)
        return RunFilterSQL(sql: sql, arguments: compiler.arguments)
    }
}

/// Writes the SQL of an expression left to right, binding each value as it writes its placeholder, so the
/// arguments come out in placeholder order.
private struct RunFilterCompiler {
    let run: String
    var arguments: [SQLValue] = []

    /// Every result is parenthesized, so results combine without regard to SQL's precedence.
    mutating func compile(_ expression: RunFilterExpression) -> String {
        switch expression {
        case .predicate(let name, let test): return predicate(RunFilterName(name), test)
        case .not(let operand): return "(NOT \(compile(operand)))"
        case .and(let left, let right): return "(\(compile(left)) AND \(compile(right)))"
        case .or(let left, let right): return "(\(compile(left)) OR \(compile(right)))"
        }
    }

    private mutating func predicate(_ name: RunFilterName, _ test: RunFilterExpression.Test) -> String {
        switch name {
        case .runColumn(let sql, let isNullable):
            return scalar(sql.replacingOccurrences(of: "{run}", with: run), isNullable: isNullable, test)
        case .finalMetric(let split, let column):
            // `split` and `column` come from RunFilterName's fixed table.
            let latest = "(SELECT filter_evaluation.\(column) FROM evaluations AS filter_evaluation "
                + "WHERE filter_evaluation.run_id = \(run).id AND filter_evaluation.split = '\(split)' "
                + "ORDER BY filter_evaluation.step DESC LIMIT 1)"
            return scalar(latest, isNullable: true, test)
        case .tag:
            return existence("SELECT 1 FROM tags AS filter_tag WHERE filter_tag.run_id = \(run).id",
                             value: "filter_tag.tag", test)
        case .hyperparameter(let key):
            let rows = "SELECT 1 FROM hyperparameters AS filter_hyperparameter "
                + "WHERE filter_hyperparameter.set_id = \(run).hyperparameter_set_id "
                + "AND filter_hyperparameter.key = \(bind(.text(key)))"
            return existence(rows, value: "filter_hyperparameter.value", test)
        }
    }

    /// A test on one value per run. When the value can be NULL, a test other than IS [NOT] NULL is false on it
    /// (`IS TRUE` turns SQL's unknown into false).
    private mutating func scalar(_ value: String, isNullable: Bool, _ test: RunFilterExpression.Test) -> String {
        switch test {
        case .isNull: return "(\(value) IS NULL)"
        case .isNotNull: return "(\(value) IS NOT NULL)"
        default:
            let condition = self.condition(value, test)
            return isNullable ? "((\(condition)) IS TRUE)" : "(\(condition))"
        }
    }

    /// A test on rows related to the run (its tags, its hyperparameter of a key): true when some row satisfies it;
    /// IS NULL means there is no such row.
    private mutating func existence(_ rows: String, value: String, _ test: RunFilterExpression.Test) -> String {
        switch test {
        case .isNull: return "(NOT EXISTS (\(rows)))"
        case .isNotNull: return "(EXISTS (\(rows)))"
        default: return "(EXISTS (\(rows) AND \(condition(value, test))))"
        }
    }

    private mutating func condition(_ operand: String, _ test: RunFilterExpression.Test) -> String {
        switch test {
        case .comparison(let comparison, let value): return "\(operand) \(comparison.rawValue) \(bind(value))"
        case .isIn(let values): return "\(operand) IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        case .isNotIn(let values): return "\(operand) NOT IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        case .like(let pattern): return "\(operand) LIKE \(bind(.text(pattern)))"
        case .notLike(let pattern): return "\(operand) NOT LIKE \(bind(.text(pattern)))"
        case .isNull: return "\(operand) IS NULL"
        case .isNotNull: return "\(operand) IS NOT NULL"
        }
    }

    private mutating func bind(_ value: RunFilterExpression.Value) -> String {
        switch value {
        case .integer(let integer): arguments.append(.integer(integer))
        case .real(let real): arguments.append(.real(real))
        case .text(let text): arguments.append(.text(text))
        }
        return "?"
    }
}
