// Comparing stored runs: pooling seeds or chosen keys into groups, finding the parameters that differ, and
// summarising each group's phases, final values and statistics at chosen steps per probed layer.
import Foundation
import TrackerAnalysis
import TrackerStore

/// How runs are pooled into the rows of a comparison.
public enum ComparisonGrouping: Sendable, Equatable {
    /// Every run alone.
    case none
    /// Runs identical but for their seed: same architecture, data set and hyperparameter set.
    case seeds
    /// Runs with equal values of these names (hyperparameter keys, their aliases such as `lr`, or run columns such
    /// as `arch`, as in ``RunFilterExpression``); everything else, seeds included, pooled within a group.
    case keys([String])
}

/// What ``RunComparison/compare(_:in:options:)`` computes, and how.
public struct ComparisonOptions: Sendable {
    /// The snapshot statistic analysed (a column of `snapshots`).
    public var statistic: String
    public var detectorParameters: PhaseDetectorParameters
    /// Only this probed layer (nil: every one).
    public var layer: String?
    public var grouping: ComparisonGrouping
    /// Steps at which to read the statistic (the nearest snapshot at or before each).
    public var atSteps: [Int]
    /// List every parameter, not only those that differ among the runs.
    public var allParameters: Bool
    /// Detect phases again even where stored results are current.
    public var recompute: Bool
    /// Read whole series to give each layer of each group its (mean) trajectory.
    public var includeTrajectories: Bool
    /// Bootstrap resamples for the CI of a group's median peak step.
    public var resamples: Int

    public init(statistic: String = "mean_abs_r", detectorParameters: PhaseDetectorParameters = .init(),
                layer: String? = nil, grouping: ComparisonGrouping = .seeds, atSteps: [Int] = [],
                allParameters: Bool = false, recompute: Bool = false, includeTrajectories: Bool = false,
                resamples: Int = 2000) {
        self.statistic = statistic
        self.detectorParameters = detectorParameters
        self.layer = layer
        self.grouping = grouping
        self.atSteps = atSteps
        self.allParameters = allParameters
        self.recompute = recompute
        self.includeTrajectories = includeTrajectories
        self.resamples = resamples
    }
}

/// A parameter over the runs of a group.
public enum ParameterValue: Sendable, Equatable {
    /// Every run has this value (NULL: none of them has the parameter).
    case value(SQLValue)
    /// The runs disagree: their distinct values, in SQL order (NULL for runs without the parameter).
    case mixed([SQLValue])
}

/// A series averaged over runs: steps and the mean value at each (nil where no run has one).
public struct Trajectory: Sendable, Equatable {
    public let steps: [Int]
    public let values: [Double?]
}

/// One probed layer (and reduction) summarised over the runs of a group.
public struct LayerComparison: Sendable {
    public let layerName: String
    /// The layer's index (the smallest, if pooled architectures place it differently): for ordering.
    public let layerIndex: Int
    /// `snapshots.reduction` of the series (`none` unless the layer has one, e.g. `time_pooled`).
    public let reduction: String
    /// The phase results, one per run that has this series, in run order.
    public let records: [PhaseRecord]
    /// Class counts and the median peak step with its percentile-bootstrap 95 % CI.
    public let phases: SeedSummary
    /// Peak value over the runs that report a peak (rise_then_decay), in the statistic's units.
    public let peakValue: SampleSummary
    /// Decay fraction (peak − final) / (peak − start) over the runs that report a peak.
    public let decayFraction: SampleSummary
    /// Smoothed final value over the runs that have one.
    public let finalValue: SampleSummary
    /// The statistic at each of ``Comparison/atSteps`` (nearest snapshot at or before), over the runs.
    public let atSteps: [SampleSummary]
    /// The mean series over the runs, when trajectories were asked for.
    public let trajectory: Trajectory?

    /// Ids of the runs summarised.
    public var runIDs: [Int64] { records.map(\.runID) }
}

/// Runs pooled into one row of a comparison.
public struct ComparisonGroup: Sendable {
    /// The runs, in id order.
    public let runs: [RunFacts]
    /// Every parameter of the comparison (``Comparison/parameterNames`` and the pooled ones) over the group's runs.
    public let parameters: [String: ParameterValue]
    /// Final test accuracy over the runs that have one.
    public let testAccuracy: SampleSummary
    /// Runs per status ('finished': 4, 'running': 1, ...).
    public let statusCounts: [String: Int]
    /// One entry per probed layer and reduction, in layer order.
    public let layers: [LayerComparison]

    public var runIDs: [Int64] { runs.map(\.id) }
    /// Runs still training: analysed on what they have recorded so far.
    public var runningCount: Int { statusCounts["running"] ?? 0 }
}

/// Runs side by side: their groups, and what describes them.
public struct Comparison: Sendable {
    public let statistic: String
    public let detectorVersion: String
    public let detectorParameters: PhaseDetectorParameters
    /// The grouping, with the names of ``ComparisonGrouping/keys(_:)`` in canonical form (`lr` → `learning_rate`).
    public let grouping: ComparisonGrouping
    public let atSteps: [Int]
    /// The parameters to show, in order: the group keys, then `arch`, `dataset` and hyperparameter keys (sorted)
    /// that differ among the runs and are constant within each group (all of them with `allParameters`).
    public let parameterNames: [String]
    /// Parameters that differ within some group (pooled by a ``ComparisonGrouping/keys(_:)`` grouping).
    public let pooledParameterNames: [String]
    /// The groups, ordered by their parameter values, then their first run.
    public let groups: [ComparisonGroup]
}

/// A comparison that names something the runs do not have.
public enum ComparisonError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A layer no selected run probes.
    case unknownLayer(String, known: [String])
    /// A grouping name that is no run column, final metric or hyperparameter of the database.
    case unknownName(String, known: [String])

    public var description: String {
        switch self {
        case .unknownLayer(let layer, let known):
            return "no probed layer named '\(layer)' in the runs compared (known: \(known.joined(separator: ", ")))"
        case .unknownName(let name, let known):
            return "unknown name '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }
}

/// Compares stored runs (see ``compare(_:in:options:)``); the pure steps are public for testing.
public enum RunComparison {
    /// Groups the runs and summarises each group per probed layer.
    ///
    /// Phases come from ``PhaseAnalysis/results(for:in:statistic:parameters:layer:recompute:)`` (computed and
    /// stored where missing or stale). Reads are batched: a fixed number of queries whatever the number of runs.
    ///
    /// - Parameter runIDs: the runs; ids that name no run are ignored.
    /// - Throws: ``ComparisonError`` for a layer or grouping name that stands for nothing; store errors (an
    ///   unknown statistic, SQLite).
    public static func compare(_ runIDs: [Int64], in database: TrackerDatabase,
                               options: ComparisonOptions = ComparisonOptions()) throws -> Comparison {
        let runs = try database.runFacts(runIDs)
        let ids = runs.map(\.id)
        if let layer = options.layer {
            let known = try database.probedLayerNames(runIDs: ids)
            if !known.contains(layer) { throw ComparisonError.unknownLayer(layer, known: known) }
        }
        var grouping = options.grouping
        var keyValues: [Int64: [SQLValue]] = [:]
        if case .keys(let names) = options.grouping {
            if let unknown = try database.unknownNames(names).first {
                throw ComparisonError.unknownName(unknown, known: try database.filterNames())
            }
            let canonical = canonicalNames(names)
            grouping = .keys(canonical)
            keyValues = try database.runValues(ids, names: canonical)
        }

        let records = try PhaseAnalysis.results(for: ids, in: database, statistic: options.statistic,
                                                parameters: options.detectorParameters, layer: options.layer,
                                                recompute: options.recompute)
        var valuesAtSteps: [SeriesKey: [Double?]] = [:]
        for value in try database.snapshotValues(runIDs: ids, statistic: options.statistic, atSteps: options.atSteps,
                                                 layerName: options.layer) {
            valuesAtSteps[SeriesKey(value.runID, value.layerName, value.reduction), default: []].append(value.value)
        }
        var series: [SeriesKey: SnapshotSeries] = [:]
        if options.includeTrajectories {
            for one in try database.snapshotSeries(runIDs: ids, statistic: options.statistic, layerName: options.layer) {
                series[SeriesKey(one.runID, one.layerName, one.reduction)] = one
            }
        }

        var parameters = Dictionary(uniqueKeysWithValues: runs.map { ($0.id, runParameters($0)) })
        let keyNames: [String]
        if case .keys(let names) = grouping {
            keyNames = names
            for run in runs {
                for (name, value) in zip(names, keyValues[run.id] ?? []) { parameters[run.id]![name] = value }
            }
        } else {
            keyNames = []
        }
        let pooled = group(runs, by: grouping, keyValues: keyValues)
        let differing = differingNames(runs.map { parameters[$0.id]! }).filter { !keyNames.contains($0) }
        let mixed = differing.filter { name in
            pooled.contains { group in Set(group.map { parameters[$0.id]![name] ?? .null }).count > 1 }
        }
        let allNames = orderedNames(Set(runs.flatMap { parameters[$0.id]!.keys }).subtracting(keyNames))
        let shown = keyNames + (options.allParameters ? allNames : differing.filter { !mixed.contains($0) })

        let recordsByRun = Dictionary(grouping: records, by: \.runID)
        var groups: [ComparisonGroup] = pooled.map { members in
            var values: [String: ParameterValue] = [:]
            for name in Set(shown + mixed) {
                values[name] = parameterValue(members.map { parameters[$0.id]![name] ?? .null })
            }
            return ComparisonGroup(
                runs: members, parameters: values, testAccuracy: SampleSummary(members.map(\.testAccuracy)),
                statusCounts: members.reduce(into: [:]) { $0[$1.status, default: 0] += 1 },
                layers: layerComparisons(members.flatMap { recordsByRun[$0.id] ?? [] }, options: options,
                                         valuesAtSteps: valuesAtSteps, series: series))
        }
        // With --layer, a group whose runs do not probe that layer has nothing to compare.
        if options.layer != nil { groups.removeAll { $0.layers.isEmpty } }
        groups.sort { left, right in
            for name in shown {
                let a = sortValue(left.parameters[name]), b = sortValue(right.parameters[name])
                if a != b { return SQLValue.sortsBefore(a, b) }
            }
            return (left.runs.first?.id ?? 0) < (right.runs.first?.id ?? 0)
        }
        return Comparison(statistic: options.statistic, detectorVersion: PhaseDetector.version,
                          detectorParameters: options.detectorParameters, grouping: grouping,
                          atSteps: options.atSteps, parameterNames: shown, pooledParameterNames: mixed, groups: groups)
    }

    // MARK: Pure steps

    /// The parameters that define a run: `arch` (the architecture's summary), `dataset` (its name) and every
    /// hyperparameter by key.
    public static func runParameters(_ run: RunFacts) -> [String: SQLValue] {
        var parameters = run.hyperparameters
        parameters["arch"] = .text(run.architecture)
        parameters["dataset"] = .text(run.dataset)
        return parameters
    }

    /// The names whose value is not the same in every parameter set (a missing name counts as NULL), in the order
    /// of ``orderedNames(_:)``.
    public static func differingNames(_ parameterSets: [[String: SQLValue]]) -> [String] {
        let names = Set(parameterSets.flatMap(\.keys))
        return orderedNames(names.filter { name in Set(parameterSets.map { $0[name] ?? .null }).count > 1 })
    }

    /// `arch` and `dataset` first, then the other names sorted.
    public static func orderedNames(_ names: Set<String>) -> [String] {
        ["arch", "dataset"].filter(names.contains) + names.subtracting(["arch", "dataset"]).sorted()
    }

    /// Names as a comparison shows them: hyperparameter aliases resolved (`lr` → `learning_rate`, `batch` →
    /// `batch_size`), `architecture` written `arch`; duplicates after that dropped.
    public static func canonicalNames(_ names: [String]) -> [String] {
        var canonical: [String] = []
        for name in names {
            let resolved = name == "architecture" ? "arch" : RunFilterExpression.hyperparameterAliases[name] ?? name
            if !canonical.contains(resolved) { canonical.append(resolved) }
        }
        return canonical
    }

    /// Pools runs into groups, each in id order, groups in order of their first run.
    ///
    /// - `.none`: one group per run. `.seeds`: runs with the same architecture, data set and hyperparameter set.
    /// - `.keys`: runs with equal `keyValues` (the values of the keys, per run id; a run without one is pooled
    ///   with the runs whose values are all equal to its own, NULLs included).
    public static func group(_ runs: [RunFacts], by grouping: ComparisonGrouping,
                             keyValues: [Int64: [SQLValue]] = [:]) -> [[RunFacts]] {
        var order: [[SQLValue]] = []
        var members: [[SQLValue]: [RunFacts]] = [:]
        for run in runs.sorted(by: { $0.id < $1.id }) {
            let key: [SQLValue]
            switch grouping {
            case .none: key = [.integer(run.id)]
            case .seeds: key = [.integer(run.architectureID), .integer(run.datasetID), .integer(run.hyperparameterSetID)]
            case .keys: key = keyValues[run.id] ?? []
            }
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(run)
        }
        return order.map { members[$0]! }
    }

    /// The common value of a parameter over runs, or the distinct values in SQL order when they differ.
    public static func parameterValue(_ values: [SQLValue]) -> ParameterValue {
        var distinct: [SQLValue] = []
        for value in values where !distinct.contains(value) { distinct.append(value) }
        if distinct.count <= 1 { return .value(distinct.first ?? .null) }
        return .mixed(distinct.sorted(by: SQLValue.sortsBefore))
    }

    /// A value to order groups by: the common value, or the smallest of mixed values.
    public static func sortValue(_ value: ParameterValue?) -> SQLValue {
        switch value {
        case .value(let value): return value
        case .mixed(let values): return values.first ?? .null
        case nil: return .null
        }
    }

    /// One series of one run.
    struct SeriesKey: Hashable {
        let runID: Int64
        let layerName: String
        let reduction: String
        init(_ runID: Int64, _ layerName: String, _ reduction: String) {
            self.runID = runID
            self.layerName = layerName
            self.reduction = reduction
        }
    }

    /// Summaries per (layer, reduction) of a group's phase records, in layer-index then reduction order.
    static func layerComparisons(_ records: [PhaseRecord], options: ComparisonOptions,
                                 valuesAtSteps: [SeriesKey: [Double?]], series: [SeriesKey: SnapshotSeries])
        -> [LayerComparison] {
        struct LayerKey: Hashable { let name: String; let reduction: String }
        let byLayer = Dictionary(grouping: records) { LayerKey(name: $0.layerName, reduction: $0.reduction) }
        return byLayer.map { key, records in
            let records = records.sorted { $0.runID < $1.runID }
            let results = records.map { record in
                PhaseResult(phaseClass: PhaseClass(rawValue: record.phaseClass) ?? .insufficient,
                            pointCount: record.pointCount, startValue: record.startValue,
                            finalValue: record.finalValue, peakStep: record.peakStep, peakValue: record.peakValue,
                            decayFraction: record.decayFraction, parameters: options.detectorParameters)
            }
            let atSteps = options.atSteps.indices.map { index in
                SampleSummary(records.map { record -> Double? in
                    let values = valuesAtSteps[SeriesKey(record.runID, key.name, key.reduction)] ?? []
                    return index < values.count ? values[index] : nil
                })
            }
            var trajectory: Trajectory?
            if options.includeTrajectories {
                let mean = SeriesAverage.pointwiseMean(records.compactMap { record in
                    series[SeriesKey(record.runID, key.name, key.reduction)].map { ($0.steps, $0.values) }
                })
                trajectory = Trajectory(steps: mean.steps, values: mean.values)
            }
            return LayerComparison(
                layerName: key.name, layerIndex: records.map(\.layerIndex).min() ?? 0, reduction: key.reduction,
                records: records,
                phases: PhaseDetector.summarizeSeeds(results, resamples: options.resamples),
                peakValue: SampleSummary(records.map(\.peakValue)),
                decayFraction: SampleSummary(records.map(\.decayFraction)),
                finalValue: SampleSummary(records.map(\.finalValue)), atSteps: atSteps, trajectory: trajectory)
        }
        .sorted { ($0.layerIndex, $0.layerName, $0.reduction) < ($1.layerIndex, $1.layerName, $1.reduction) }
    }
}
