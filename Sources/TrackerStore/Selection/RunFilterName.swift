// What each name of the filter language stands for: a run column, the tags, a final metric or a hyperparameter.

/// The meaning of a name in a filter, resolved in the order of the cases: a run column first, then `tag`, then a
/// final metric, then (through ``RunFilterExpression/hyperparameterAliases``) a hyperparameter key.
///
/// Only the SQL written in this file reaches the compiled statement: a name selects an entry of these tables, and a
/// hyperparameter key is bound as a parameter.
enum RunFilterName: Equatable {
    /// A fixed SQL expression over a `runs` row, `{run}` standing for its alias; `isNullable` when it can be NULL.
    case runColumn(sql: String, isNullable: Bool)
    /// The run's tags: a test holds when some tag satisfies it.
    case tag
    /// `evaluations.<column>` of the run's latest evaluation of `split`.
    case finalMetric(split: String, column: String)
    /// `hyperparameters.value` of this key in the run's hyperparameter set.
    case hyperparameter(key: String)

    /// Columns of `runs` and of the rows it references, by the name a filter uses.
    static let runColumns: [(name: String, sql: String, isNullable: Bool)] = [
        ("id", "{run}.id", false),
        ("uuid", "{run}.uuid", false),
        ("name", "{run}.name", true),
        ("status", "{run}.status", false),
        ("seed", "{run}.seed", false),
        ("dataset", "(SELECT filter_dataset.name FROM datasets AS filter_dataset "
            + "WHERE filter_dataset.id = {run}.dataset_id)", false),
        ("arch", architecture("summary"), false),
        ("architecture", architecture("summary"), false),
        ("parameter_count", architecture("parameter_count"), false),
        ("created_at", "{run}.created_at", false),
        ("started_at", "{run}.started_at", true),
        ("ended_at", "{run}.ended_at", true),
        ("heartbeat_at", "{run}.heartbeat_at", true),
        ("total_steps", "{run}.total_steps", false),
        ("train_samples", "{run}.train_samples", false),
        ("test_samples", "{run}.test_samples", false),
        ("probe_samples", "{run}.probe_samples", false),
        ("host", "{run}.host", false),
        ("tracker_version", "{run}.tracker_version", false),
        ("command_line", "{run}.command_line", false),
        ("error_message", "{run}.error_message", true),
    ]

    /// Final metrics by name: the split and the `evaluations` column.
    static let finalMetrics: [(name: String, split: String, column: String)] = [
        ("test_accuracy", "test", "accuracy"),
        ("test_loss", "test", "loss"),
        ("train_accuracy", "train", "accuracy"),
        ("train_loss", "train", "loss"),
    ]

    private static func architecture(_ column: String) -> String {
        "(SELECT filter_architecture.\(column) FROM architectures AS filter_architecture "
            + "WHERE filter_architecture.id = {run}.architecture_id)"
    }

    init(_ name: String) {
        if let column = Self.runColumns.first(where: { $0.name == name }) {
            self = .runColumn(sql: column.sql, isNullable: column.isNullable)
        } else if name == "tag" {
            self = .tag
        } else if let metric = Self.finalMetrics.first(where: { $0.name == name }) {
            self = .finalMetric(split: metric.split, column: metric.column)
        } else {
            self = .hyperparameter(key: RunFilterExpression.hyperparameterAliases[name] ?? name)
        }
    }
}
