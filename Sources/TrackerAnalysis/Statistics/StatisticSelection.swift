// Which statistics a snapshot records: `default`, `all`, or a list of names (`--statistics`).

/// A set of statistics from the registry, in registry order. `mean_abs_r` and `mean_r` are always part of it (the
/// columns every tracker database has had, and what progress lines and phase detection read).
public struct StatisticSelection: Sendable, Equatable, CustomStringConvertible {
    /// The chosen statistics, in ``SnapshotStatistic/all`` order.
    public let statistics: [SnapshotStatistic]

    /// The statistics whose ``SnapshotStatistic/isDefault`` is true: everything of cost `pairs` or `activations`.
    public static let standard = StatisticSelection(SnapshotStatistic.all.filter(\.isDefault))
    /// Every registered statistic.
    public static let all = StatisticSelection(SnapshotStatistic.all)

    init(_ chosen: [SnapshotStatistic]) {
        let names = Set(chosen.map(\.name) + ["mean_abs_r", "mean_r"])
        statistics = SnapshotStatistic.all.filter { names.contains($0.name) }
    }

    /// Reads `default`, `all`, or a comma-separated list of statistic names, which may include `default` (e.g.
    /// `default,effective_rank`). Spaces around names are ignored.
    ///
    /// - Throws: ``StatisticSelectionError`` naming the first unknown name and the known ones.
    public init(parsing text: String) throws(StatisticSelectionError) {
        var chosen: [SnapshotStatistic] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else { throw .empty(text) }
        for item in items {
            switch item {
            case "default": chosen += Self.standard.statistics
            case "all": chosen += SnapshotStatistic.all
            default:
                guard let statistic = SnapshotStatistic.named(item) else { throw .unknown(item) }
                chosen.append(statistic)
            }
        }
        self.init(chosen)
    }

    /// Whether the statistic named `name` is chosen.
    public func contains(_ name: String) -> Bool { statistics.contains { $0.name == name } }

    /// `default`, `all`, or the names joined by commas (what ``init(parsing:)`` reads back).
    public var description: String {
        if self == .standard { return "default" }
        if self == .all { return "all" }
        return statistics.map(\.name).joined(separator: ",")
    }
}

/// A `--statistics` value that names no statistic, in one line.
public enum StatisticSelectionError: Error, Equatable, CustomStringConvertible {
    case empty(String)
    case unknown(String)

    public var description: String {
        switch self {
        case .empty(let text):
            "'\(text)' names no statistic (expected default, all, or names separated by commas)"
        case .unknown(let name):
            "no statistic named '\(name)' (known: default, all, "
                + SnapshotStatistic.all.map(\.name).joined(separator: ", ") + ")"
        }
    }
}
