// The run-selection filter language (`--where`): its expression tree, the names it knows, its canonical text.
import Foundation

/// A condition on runs, such as `lr > 0.01 AND (arch = '64-32relu-10' OR tag = 'baseline') AND NOT status = 'failed'`.
///
/// Parse one with ``init(parsing:)``, compile it to SQL with ``sql(runAlias:)``, or select runs with
/// ``TrackerDatabase/runIDs(matching:)``.
///
/// ```swift
/// let filter = try RunFilterExpression(parsing: "lr > 0.01 AND seed IN (1, 2, 3)")
/// let ids = try database.runIDs(matching: filter)
/// ```
///
/// Grammar (EBNF; keywords are case-insensitive, names case-sensitive; whitespace may separate tokens):
/// ```
/// filter     = or ;
/// or         = and { "OR" and } ;                      (* left-associative *)
/// and        = not { "AND" not } ;                     (* left-associative *)
/// not        = "NOT" not | primary ;                   (* so NOT binds tighter than AND, AND than OR *)
/// primary    = "(" or ")" | predicate ;
/// predicate  = name ( operator value
///                   | [ "NOT" ] "IN" "(" value { "," value } ")"
///                   | [ "NOT" ] "LIKE" string
///                   | "IS" [ "NOT" ] "NULL" ) ;
/// operator   = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
/// value      = number | string | "TRUE" | "FALSE" ;    (* TRUE is 1, FALSE is 0, as in SQLite *)
/// name       = ( letter | "_" ) { letter | digit | "_" } ;   (* ASCII; not a keyword *)
/// number     = [ "-" ] ( digit { digit } [ "." { digit } ] | "." digit { digit } )
///              [ ( "e" | "E" ) [ "+" | "-" ] digit { digit } ] ;
/// string     = "'" { character other than "'" | "''" } "'" ;   (* '' is one quote *)
/// ```
/// A number without `.` or exponent is an INTEGER (or a REAL beyond 64 bits), otherwise a REAL; a quoted value
/// is TEXT. A hyperparameter keeps its type, so a numeric one never equals text (`batch = '16'` selects nothing:
/// write `batch = 16`), while numbers of either type compare by value (`lr = 1` matches a learning rate of 1.0).
///
/// Names, resolved in this order (tables: ``runColumnNames``, ``finalMetricNames``, ``hyperparameterAliases``):
/// 1. A run column: `id`, `uuid`, `name`, `status`, `seed`, `created_at`, `started_at`, `ended_at`, `heartbeat_at`,
///    `host`, `tracker_version`, `command_line`, `error_message`, `train_samples`, `test_samples`, `probe_samples`,
///    `total_steps` (that column of `runs`); `dataset` (`datasets.name`); `arch` or `architecture`
///    (`architectures.summary`, e.g. `64-128relu-64relu-10`); `parameter_count` (`architectures.parameter_count`).
/// 2. `tag`: the run's tags; a test holds when some tag of the run satisfies it.
/// 3. A final metric: `test_accuracy`, `test_loss`, `train_accuracy`, `train_loss`: the run's latest evaluation of
///    that split (the value `run_overview.test_accuracy` shows; a diverged loss is NULL).
/// 4. A hyperparameter: any other name is a key of the run's hyperparameter set (`momentum`, `activation`,
///    `epochs`, ...), after these aliases:
///
///    | Alias   | Key             |
///    |---------|-----------------|
///    | `lr`    | `learning_rate` |
///    | `batch` | `batch_size`    |
///
///    So a misspelt name is a hyperparameter no run has, and selects nothing: check names with
///    ``TrackerDatabase/unknownNames(in:)``.
///
/// Missing values: every predicate is either true or false, never SQL's unknown. A predicate on a value the run
/// does not have (no such hyperparameter, no tag, no evaluation, a NULL column such as an unnamed run's `name` or
/// a diverged run's `test_loss`) is false, except `IS NULL`, which is exactly the test for that case. So `NOT P`
/// selects precisely the runs `P` does not: `NOT lr > 0.01` selects runs whose learning rate is at most 0.01 *and*
/// runs without one, while `lr <= 0.01` (or `lr != 0.05`, `lr NOT IN (...)`, `lr NOT LIKE ...`) needs the run to
/// have a learning rate. For `tag`, `tag != 'baseline'` means "has some tag other than baseline";
/// "is not tagged baseline" is `NOT tag = 'baseline'`, and `tag IS NULL` means "has no tags".
///
/// Text comparisons are case-sensitive; `LIKE` (with `%` for any run of characters, `_` for one) ignores the case
/// of ASCII letters, as in SQLite.
public indirect enum RunFilterExpression: Sendable, Equatable {
    /// A test on the value that `name` stands for.
    case predicate(name: String, test: Test)
    case not(RunFilterExpression)
    case and(RunFilterExpression, RunFilterExpression)
    case or(RunFilterExpression, RunFilterExpression)

    /// A literal of the language, with the SQL type it is bound as.
    public enum Value: Sendable, Equatable {
        case integer(Int64)
        case real(Double)
        case text(String)
    }

    /// A comparison operator; `rawValue` is its SQL spelling (`<>` is read as `!=`).
    public enum ComparisonOperator: String, Sendable, Equatable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }

    /// What a predicate asks of its name's value.
    public enum Test: Sendable, Equatable {
        case comparison(ComparisonOperator, Value)
        /// `IN (...)`: the list is never empty.
        case isIn([Value])
        case isNotIn([Value])
        case like(String)
        case notLike(String)
        case isNull
        case isNotNull
    }

    /// The names of `runs` columns (and of its dimensions) a filter can use, in the order they are listed to users.
    public static let runColumnNames: [String] = RunFilterName.runColumns.map(\.name)

    /// The names of the final metrics: the latest evaluation of a split.
    public static let finalMetricNames: [String] = RunFilterName.finalMetrics.map(\.name)

    /// Short names for common hyperparameters: alias → hyperparameter key.
    public static let hyperparameterAliases: [String: String] = ["lr": "learning_rate", "batch": "batch_size"]

    /// The names the expression uses, each once, in order of first appearance.
    public var names: [String] {
        var names: [String] = []
        func collect(_ expression: RunFilterExpression) {
            switch expression {
            case .predicate(let name, _): if !names.contains(name) { names.append(name) }
            case .not(let operand): collect(operand)
            case .and(let left, let right), .or(let left, let right): collect(left); collect(right)
            }
        }
        collect(self)
        return names
    }
}

extension RunFilterExpression: CustomStringConvertible {
    /// The expression in the filter language, with only the parentheses its tree needs: parsing it gives back
    /// an equal expression. Operators are upper case, `<>` is written `!=`.
    public var description: String { render(self) }

    /// How tightly each node binds: OR 1, AND 2, NOT 3, a predicate 4.
    private var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .not: return 3
        case .predicate: return 4
        }
    }

    private func render(_ expression: RunFilterExpression) -> String {
        func operand(_ child: RunFilterExpression, atLeast precedence: Int) -> String {
            child.precedence >= precedence ? render(child) : "(\(render(child)))"
        }
        switch expression {
        case .predicate(let name, let test): return "\(name) \(test)"
        case .not(let child): return "NOT \(operand(child, atLeast: 3))"
        // Left-associative: a right operand of the same kind keeps its parentheses.
        case .and(let left, let right): return "\(operand(left, atLeast: 2)) AND \(operand(right, atLeast: 3))"
        case .or(let left, let right): return "\(operand(left, atLeast: 1)) OR \(operand(right, atLeast: 2))"
        }
    }
}

extension RunFilterExpression.Test: CustomStringConvertible {
    public var description: String {
        func list(_ values: [RunFilterExpression.Value]) -> String {
            "(" + values.map(\.description).joined(separator: ", ") + ")"
        }
        switch self {
        case .comparison(let comparison, let value): return "\(comparison.rawValue) \(value)"
        case .isIn(let values): return "IN \(list(values))"
        case .isNotIn(let values): return "NOT IN \(list(values))"
        case .like(let pattern): return "LIKE \(RunFilterExpression.Value.text(pattern))"
        case .notLike(let pattern): return "NOT LIKE \(RunFilterExpression.Value.text(pattern))"
        case .isNull: return "IS NULL"
        case .isNotNull: return "IS NOT NULL"
        }
    }
}

extension RunFilterExpression.Value: CustomStringConvertible {
    /// The literal as written in the language: `12`, `0.01`, `1e-05`, `'it''s'`.
    public var description: String {
        switch self {
        case .integer(let integer): return String(integer)
        case .real(let real): return String(real)
        case .text(let text): return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }
}
