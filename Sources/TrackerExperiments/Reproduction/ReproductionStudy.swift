// The study `tracker reproduce` re-derives: its configurations as sweeps, what is left to run, and the verdict per layer.
import Foundation
import TrackerAnalysis
import TrackerStore

/// One configuration of the study, trained with every seed: an architecture family or a control on one.
public struct StudyCondition: Sendable, Equatable {
    /// Whether a condition tests the claim or checks it.
    public enum Role: String, Sendable {
        /// An architecture family the claim is about.
        case family
        /// A change to a family that the claim's explanation says should matter (shuffled labels, DeCov).
        case control
    }

    /// A word naming it in tables and in its sweep's name: `mlp`, `mlp-decov-0.1`.
    public let name: String
    public let role: Role
    /// What it is, for people: `MLP, shuffled labels`.
    public let summary: String
    /// Its `tracker run` settings besides the study's shared ones, as (key, value): `("arch", "lstm128")`.
    public let settings: [(key: String, value: String)]

    public init(name: String, role: Role, summary: String, settings: [(key: String, value: String)]) {
        self.name = name
        self.role = role
        self.summary = summary
        self.settings = settings
    }

    public static func == (left: StudyCondition, right: StudyCondition) -> Bool {
        left.name == right.name && left.role == right.role && left.summary == right.summary
            && left.settings.elementsEqual(right.settings) { $0.key == $1.key && $0.value == $1.value }
    }
}

/// The study's configurations, seeds, data and length; each condition becomes one sweep of `seeds` runs.
///
/// The families are the README tour's mnist-5k runs: MLP `dense256-relu-dense256-relu-dense128-relu` and CNN
/// `conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu` with SGD (lr 0.05, momentum 0.9), tanh
/// RNN `rnn128` and LSTM `lstm128` with Adam (lr 0.001). The controls change the MLP: shuffled training labels
/// (it can only memorise), and DeCov at λ = 0.01, 0.1 and 1 on every probed layer.
public struct ReproductionStudy: Sendable, Equatable {
    /// The data set (a bundled name or a path, as `tracker run --data` takes it).
    public var data: String
    public var seeds: Int
    public var epochs: Int
    public var snapshotEvery: Int
    /// Whether this is the short study (its sweeps have their own names, so both can live in one database).
    public var quick: Bool
    public var conditions: [StudyCondition]

    /// Epochs and snapshot interval of the full study: the tour's defaults, 2,500 steps of 32 on mnist-5k.
    public static let fullEpochs = 20, fullSnapshotEvery = 50
    /// Of the quick study: 1,000 steps on mnist-5k, with the early log-spaced snapshots (steps 1 to 24, where the
    /// peaks lie) then one every 25 steps: 51 snapshots, enough for the detector's smoothing window.
    public static let quickEpochs = 8, quickSnapshotEvery = 25
    /// Seeds when none are given.
    public static let fullSeeds = 5, quickSeeds = 2

    /// The architecture families.
    public static let families: [StudyCondition] = [
        StudyCondition(name: "mlp", role: .family, summary: "MLP",
                       settings: [("arch", "dense256-relu-dense256-relu-dense128-relu")]),
        StudyCondition(name: "cnn", role: .family, summary: "CNN",
                       settings: [("arch", "conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu")]),
        StudyCondition(name: "rnn", role: .family, summary: "tanh RNN",
                       settings: [("arch", "rnn128"), ("optimizer", "adam"), ("lr", "0.001")]),
        StudyCondition(name: "lstm", role: .family, summary: "LSTM",
                       settings: [("arch", "lstm128"), ("optimizer", "adam"), ("lr", "0.001")]),
    ]

    /// The DeCov weights of the controls.
    public static let decovWeights = ["0.01", "0.1", "1"]

    /// The controls, on the MLP.
    public static let controls: [StudyCondition] = {
        let mlp = families[0].settings
        return [StudyCondition(name: "mlp-shuffled-labels", role: .control, summary: "MLP, shuffled labels",
                               settings: mlp + [("shuffle-labels", "true")])]
            + decovWeights.map { weight in
                StudyCondition(name: "mlp-decov-\(weight)", role: .control, summary: "MLP, DeCov λ = \(weight)",
                               settings: mlp + [("decov", weight)])
            }
    }()

    /// The study: every family and control.
    ///
    /// - Parameters:
    ///   - seeds: Seeds per condition (default 5, or 2 when quick).
    ///   - epochs: Epochs of every run (default 20, or 8 when quick); tests shorten it.
    ///   - only: Keep only the conditions with these names, in the study's order (tests use a few).
    /// - Precondition: seeds ≥ 1, epochs ≥ 1, and every name in `only` names a condition.
    public init(quick: Bool, seeds: Int? = nil, data: String = "mnist-5k", epochs: Int? = nil, only: [String]? = nil) {
        let all = Self.families + Self.controls
        precondition(only?.allSatisfy { name in all.contains { $0.name == name } } ?? true, "unknown condition")
        self.quick = quick
        self.seeds = seeds ?? (quick ? Self.quickSeeds : Self.fullSeeds)
        self.epochs = epochs ?? (quick ? Self.quickEpochs : Self.fullEpochs)
        precondition(self.seeds >= 1 && self.epochs >= 1, "a study needs at least one seed and one epoch")
        snapshotEvery = quick ? Self.quickSnapshotEvery : Self.fullSnapshotEvery
        self.data = data
        conditions = only.map { names in all.filter { names.contains($0.name) } } ?? all
    }

    /// The tag of every run of the study, and the start of its sweeps' names: `reproduce` or `reproduce-quick`.
    public var tag: String { quick ? "reproduce-quick" : "reproduce" }

    /// The sweep of one condition: named `TAG-CONDITION`, the study's shared settings (data, epochs, snapshot
    /// interval, the tag) and the condition's, `seeds` seeds from 0.
    ///
    /// - Throws: ``SettingError`` for a data set name that is no valid setting value (the data set itself is
    ///   checked by ``SweepDefinition/validate(_:)``).
    public func sweepDefinition(for condition: StudyCondition) throws(SettingError) -> SweepDefinition {
        let shared: [(key: String, value: String)] = [("data", data), ("epochs", String(epochs)),
                                                      ("snapshot-every", String(snapshotEvery))]
        var base = (shared + condition.settings).map { setting in
            GivenSetting(key: setting.key, value: .scalar(setting.value), origin: .commandLine)
        }
        base.append(GivenSetting(key: "tag", value: .list([tag]), origin: .commandLine))
        return try SweepDefinition(name: "\(tag)-\(condition.name)", base: base, grid: [], seeds: .count(seeds))
    }
}

/// One condition's sweep in a database: its runs, and which of them earlier attempts finished.
public struct StudyPart: Sendable {
    public let condition: StudyCondition
    public let definition: SweepDefinition
    /// The sweep's uuid in the database.
    public let sweepUUID: String
    /// Every run of the condition, one per seed.
    public let points: [SweepPoint]
    /// The runs still to train (none finished with their key), in seed order.
    public let pending: [SweepPoint]
    /// Per point index, the id of its finished run.
    public let finishedRunIDs: [Int: Int64]

    /// The ids of the finished runs, in seed order.
    public var runIDs: [Int64] { points.compactMap { finishedRunIDs[$0.index] } }
}

extension ReproductionStudy {
    /// Every condition's sweep, expanded and checked: each distinct configuration is built as its runs would build it
    /// (data set, architecture, optimiser), without training and without touching a database.
    ///
    /// - Parameter threads: BLAS threads of each run (not part of a run's identity).
    /// - Throws: ``SweepError`` for the first condition that cannot run (e.g. an unknown data set, or data the CNN
    ///   cannot read as images), ``SettingError`` for a data set name that is no setting value.
    public func definitions(threads: Int) throws -> [(condition: StudyCondition, definition: SweepDefinition,
                                                      points: [SweepPoint])] {
        try conditions.map { condition in
            let definition = try sweepDefinition(for: condition)
            let points = try definition.expand(threads: threads)
            try definition.validate(points)
            return (condition, definition, points)
        }
    }

    /// Records every condition's sweep in `database` (replacing the definition of a sweep of the same name) and
    /// reads which of its runs earlier attempts finished: running the same study again trains only the rest.
    public func parts(_ definitions: [(condition: StudyCondition, definition: SweepDefinition, points: [SweepPoint])],
                      in database: TrackerDatabase) throws -> [StudyPart] {
        try definitions.map { condition, definition, points in
            let (sweep, _) = try database.recordSweep(name: definition.name, configuration: definition.yaml)
            return try Self.part(condition, definition, points, sweepUUID: sweep.uuid, in: database)
        }
    }

    /// The parts again, read after their runs have trained (no sweep is recorded).
    public func reread(_ parts: [StudyPart], in database: TrackerDatabase) throws -> [StudyPart] {
        try parts.map { part in
            try Self.part(part.condition, part.definition, part.points, sweepUUID: part.sweepUUID, in: database)
        }
    }

    static func part(_ condition: StudyCondition, _ definition: SweepDefinition, _ points: [SweepPoint],
                     sweepUUID: String, in database: TrackerDatabase) throws -> StudyPart {
        let resume = SweepResume(points, runs: try database.sweepRuns(sweepUUID: sweepUUID))
        var finished: [Int: Int64] = [:]
        for result in resume.skipped { finished[result.point.index] = result.runID }
        return StudyPart(condition: condition, definition: definition, sweepUUID: sweepUUID, points: points,
                         pending: resume.pending, finishedRunIDs: finished)
    }
}

/// One row of the verdict table: a probed layer (and reduction) of one condition over its finished seeds.
public struct StudyVerdictRow: Sendable {
    public let condition: StudyCondition
    public let layerName: String
    public let layerIndex: Int
    /// `none`, or for recurrent layers `time_pooled` or `last_step`.
    public let reduction: String
    /// The stored phase results, one per finished seed, in run order.
    public let records: [PhaseRecord]
    public let verdict: LayerVerdict

    public var runIDs: [Int64] { records.map(\.runID) }
}

extension ReproductionStudy {
    /// The verdict per condition and probed layer, from the phases of mean |r| as `tracker phases` detects and stores
    /// them (``PhaseAnalysis``, default detector parameters), judged by ``StudyVerdict/judge(_:resamples:seed:)``.
    ///
    /// - Parameter parts: The conditions with their finished runs; a condition with none has no rows.
    /// - Returns: Rows in the parts' order, then layer index, then reduction.
    public static func verdicts(_ parts: [StudyPart], in database: TrackerDatabase,
                                parameters: PhaseDetectorParameters = PhaseDetectorParameters(),
                                resamples: Int = 2000) throws -> [StudyVerdictRow] {
        let allRunIDs = parts.flatMap(\.runIDs)
        let records = try PhaseAnalysis.results(for: allRunIDs, in: database, statistic: "mean_abs_r",
                                                parameters: parameters)
        let byRun = Dictionary(grouping: records, by: \.runID)
        return parts.flatMap { part -> [StudyVerdictRow] in
            let runIDs = part.runIDs
            struct LayerKey: Hashable { let index: Int; let name: String; let reduction: String }
            let byLayer = Dictionary(grouping: runIDs.flatMap { byRun[$0] ?? [] }) {
                LayerKey(index: $0.layerIndex, name: $0.layerName, reduction: $0.reduction)
            }
            return byLayer.keys.sorted { ($0.index, $0.reduction) < ($1.index, $1.reduction) }.map { key in
                let layerRecords = byLayer[key]!.sorted { $0.runID < $1.runID }
                return StudyVerdictRow(
                    condition: part.condition, layerName: key.name, layerIndex: key.index, reduction: key.reduction,
                    records: layerRecords,
                    verdict: StudyVerdict.judge(layerRecords.map { $0.phaseResult(parameters: parameters) },
                                                resamples: resamples))
            }
        }
    }
}

extension PhaseRecord {
    /// The stored row as the analysis' result (the fields the verdict and seed summary read, and the rest stored).
    public func phaseResult(parameters: PhaseDetectorParameters) -> PhaseResult {
        PhaseResult(phaseClass: PhaseClass(rawValue: phaseClass) ?? .insufficient, pointCount: pointCount,
                    firstNonFiniteStep: firstNonFiniteStep, startValue: startValue, finalValue: finalValue,
                    peakStep: peakStep, peakValue: peakValue, riseAmplitude: riseAmplitude,
                    riseDuration: riseDuration, decayFraction: decayFraction, halfDecayStep: halfDecayStep,
                    noiseSigma: noiseSigma, otherPeaks: otherPeaks, noiseFloor: noiseFloor,
                    detectorVersion: detectorVersion, parameters: parameters)
    }
}
