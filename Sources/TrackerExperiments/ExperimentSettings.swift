// The settings of an experiment as one table: each one's key (its `tracker run` flag without the dashes), its type,
// and where it lives in ExperimentConfiguration. Configuration files, stored configurations and flags all read
// through it, so a new setting is one entry here (and its flag).
import Foundation
import TrackerAnalysis
import TrackerDatasets
import TrackerEngine

/// A setting's value as written, before it is read into a configuration: a YAML scalar or list, or a flag's value.
public enum SettingValue: Sendable, Hashable {
    /// YAML `null`: "not set" for an optional setting (e.g. `clip-norm`, `test-samples`, `probe`).
    case null
    case scalar(String)
    case list([String])
}

/// Where a given value came from, so an error can point at it.
public enum SettingOrigin: Sendable, Equatable {
    /// A configuration text (a file, or a run's stored configuration) named `source`, at `line` (from 1; nil when
    /// the value did not come from a line, e.g. a stored run's tags).
    case text(source: String, line: Int?)
    /// The command line.
    case commandLine
}

/// A value given for a setting, and where.
public struct GivenSetting: Sendable, Equatable {
    /// The setting's key, e.g. `lr`.
    public var key: String
    public var value: SettingValue
    public var origin: SettingOrigin

    public init(key: String, value: SettingValue, origin: SettingOrigin) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

/// A setting that cannot be read, in one line that names where: `run.yaml:3: lr: expected a number, got 'fast'`.
public struct SettingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let origin: SettingOrigin
    /// The key at fault, when there is one (nil for a YAML syntax error).
    public let key: String?
    /// The problem, naming the key: `lr: expected a number, got 'fast'`.
    public let message: String

    public init(origin: SettingOrigin, key: String?, message: String) {
        self.origin = origin
        self.key = key
        self.message = message
    }

    public var description: String {
        switch origin {
        case .text(let source, let line): "\(source)\(line.map { ":\($0)" } ?? ""): \(message)"
        case .commandLine: message
        }
    }
}

/// One setting of an experiment: its key, what values it takes, and how it reads and writes
/// ``ExperimentConfiguration``.
public struct ExperimentSetting: Sendable {
    /// The key in configuration files: the `tracker run` flag without its dashes (`lr` for `--lr`).
    public let key: String
    /// The names by which ``ConfigurationError/setting`` refers to this setting (its hyperparameter keys).
    public let errorNames: [String]
    /// False for the run's labels (`name`, `tag`): they say nothing about how it trains, so stored configurations,
    /// and what `tracker show --config` prints, leave them out.
    public let isStored: Bool
    /// True when values are free text, which YAML output quotes if they could read as a number, boolean or null.
    let isText: Bool
    /// What a value must be, for errors: "a number", "one of relu, tanh, sigmoid".
    public let expectation: String
    let read: @Sendable (ExperimentConfiguration) -> SettingValue
    /// Writes `value`; returns false when it does not have the setting's type.
    let write: @Sendable (inout ExperimentConfiguration, SettingValue) -> Bool

    /// The setting's value in `configuration`.
    public func value(in configuration: ExperimentConfiguration) -> SettingValue { read(configuration) }

    /// Sets the setting to `value` in `configuration`.
    ///
    /// - Throws: ``SettingError`` when the value does not have the setting's type.
    public func apply(_ value: SettingValue, to configuration: inout ExperimentConfiguration,
                      origin: SettingOrigin) throws(SettingError) {
        guard write(&configuration, value) else {
            let got: String = switch value {
            case .null: "null"
            case .scalar(let text): "'\(text)'"
            case .list(let items): "a list of \(items.count)"
            }
            throw SettingError(origin: origin, key: key, message: "\(key): expected \(expectation), got \(got)")
        }
    }
}

extension ExperimentConfiguration {
    /// Every setting, in the order configuration files are written. To add one: a stored property (with a default
    /// that keeps earlier behaviour), one entry here, and its flag in `tracker run`.
    public static let settings: [ExperimentSetting] = [
        .value("data", \.dataset, "dataset"),
        .optional("data-format", \.dataFormat, "data_format"),
        .optional("labels", \.labelsPath, "labels"),
        .value("label-column", \.labelColumn, "label_column"),
        .value("header", \.csvHeader, "header"),
        .optional("shape", \.sampleShape, "shape"),
        .value("arch", \.architecture, "architecture"),
        .probes("probe", \.probes, "probes"),
        .value("activation", \.activation, "activation"),
        .value("initialization", \.initialization, "initialization"),
        .value("recurrent-init", \.recurrentInitialization, "recurrent_initialization"),
        .value("init-scale", \.initializationScale, "init_scale"),
        .value("optimizer", \.optimizer, "optimizer", "epsilon"),
        .value("lr", \.learningRate, "learning_rate"),
        .value("momentum", \.momentum, "momentum"),
        .value("nesterov", \.nesterov, "nesterov"),
        .value("beta1", \.beta1, "beta1"),
        .value("beta2", \.beta2, "beta2"),
        .value("weight-decay", \.weightDecay, "weight_decay"),
        // The schedule is one enum with its parameters; its keys come before their parameters' keys, which apply
        // only to their own schedule (as the flags do).
        .schedule,
        .scheduleParameter("lr-step-every", "lr_step_every", of: .newStep,
                           read: { (schedule: LearningRateSchedule) -> Int? in
                               if case .step(let every, _) = schedule { every } else { nil }
                           },
                           write: { (schedule: inout LearningRateSchedule, every: Int) in
                               if case .step(_, let factor) = schedule { schedule = .step(every: every, factor: factor) }
                           }),
        .scheduleParameter("lr-step-factor", "lr_step_factor", of: .newStep,
                           read: { (schedule: LearningRateSchedule) -> Double? in
                               if case .step(_, let factor) = schedule { factor } else { nil }
                           },
                           write: { (schedule: inout LearningRateSchedule, factor: Double) in
                               if case .step(let every, _) = schedule { schedule = .step(every: every, factor: factor) }
                           }),
        .scheduleParameter("lr-min-factor", "lr_minimum_factor", of: .newCosine,
                           read: { (schedule: LearningRateSchedule) -> Double? in
                               if case .cosine(let minimum) = schedule { minimum } else { nil }
                           },
                           write: { (schedule: inout LearningRateSchedule, minimum: Double) in
                               if case .cosine = schedule { schedule = .cosine(minimumFactor: minimum) }
                           }),
        .value("warmup", \.warmupSteps, "warmup_steps"),
        .optional("clip-norm", \.gradientClipNorm, "gradient_clip_norm"),
        .decov,
        .value("batch", \.batchSize, "batch_size"),
        .value("epochs", \.epochs, "epochs"),
        .value("seed", \.seed, "seed"),
        .value("threads", \.blasThreads, "blas_threads"),
        .value("snapshot-every", \.snapshotEvery, "snapshot_every"),
        .optional("test-samples", \.testSamples, "test_samples"),
        .value("probe-samples", \.probeSamples, "probe_samples"),
        .value("shuffle-labels", \.shuffleLabels, "shuffle_labels"),
        .statistics,
        .value("store-matrices", \.storeMatrices, "store_matrices"),
        .optional("name", \.name, stored: false),
        .list("tag", \.tags, stored: false),
    ]

    /// The setting with key `key`, or nil.
    public static func setting(_ key: String) -> ExperimentSetting? { settings.first { $0.key == key } }

    /// The setting that ``ConfigurationError/setting`` names `name` (a hyperparameter key), or nil.
    public static func setting(errorName name: String) -> ExperimentSetting? {
        settings.first { $0.errorNames.contains(name) }
    }

    /// The defaults with `given` applied in the table's order; for a key given more than once the last value wins,
    /// so `stored + file + flags` layers them.
    ///
    /// - Throws: ``SettingError`` for an unknown key or a value of the wrong type, naming where it was given.
    public init(_ given: [GivenSetting]) throws(SettingError) {
        self.init()
        var latest: [String: GivenSetting] = [:]
        for setting in given {
            guard ExperimentConfiguration.setting(setting.key) != nil else {
                throw SettingError(origin: setting.origin, key: setting.key,
                                   message: ExperimentConfiguration.unknownKeyMessage(setting.key))
            }
            latest[setting.key] = setting
        }
        for setting in ExperimentConfiguration.settings {
            guard let value = latest[setting.key] else { continue }
            try setting.apply(value.value, to: &self, origin: value.origin)
        }
    }

    /// Every stored setting's value, defaults included, in the table's order (the labels `name` and `tag` left out).
    public var storedSettings: [(key: String, value: SettingValue)] {
        Self.settings.filter(\.isStored).map { ($0.key, $0.value(in: self)) }
    }

    /// "unknown key 'learning_rate' (did you mean 'lr'?)": the hint finds a hyperparameter key, underscores for
    /// dashes, or a key one or two edits away.
    static func unknownKeyMessage(_ key: String) -> String {
        let dashed = key.lowercased().replacingOccurrences(of: "_", with: "-")
        let guess = settings.first { $0.key == dashed || $0.errorNames.contains(key) }
            ?? settings.map { ($0, editDistance($0.key, dashed)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
        let hint = guess.map { "did you mean '\($0.key)'?" }
            ?? "keys are the flags of tracker run without their dashes, e.g. lr, batch, epochs"
        return "unknown key '\(key)' (\(hint))"
    }

    /// Levenshtein distance between two short strings.
    static func editDistance(_ first: String, _ second: String) -> Int {
        let a = Array(first), b = Array(second)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A type a setting holds, written as text in files and flags.
protocol SettingScalar: Sendable {
    init?(settingText: String)
    var settingText: String { get }
    /// What a value must look like, for errors: "a number".
    static var expectation: String { get }
    /// Free text, quoted in YAML when it could read as another type.
    static var isText: Bool { get }
}

extension SettingScalar {
    static var isText: Bool { false }
}

extension Int: SettingScalar {
    init?(settingText: String) { self.init(settingText) }
    var settingText: String { String(self) }
    static var expectation: String { "an integer" }
}

extension UInt64: SettingScalar {
    init?(settingText: String) { self.init(settingText) }
    var settingText: String { String(self) }
    static var expectation: String { "an integer from 0 to 2^64 - 1" }
}

extension Double: SettingScalar {
    /// Decimal or exponent notation (`0.05`, `1e-5`); Swift prints the shortest text that reads back to the
    /// same Double, so a written configuration reads back exactly.
    init?(settingText: String) { self.init(settingText) }
    var settingText: String { "\(self)" }
    static var expectation: String { "a number" }
}

extension Bool: SettingScalar {
    init?(settingText: String) {
        switch settingText {
        case "true", "True", "TRUE": self = true
        case "false", "False", "FALSE": self = false
        default: return nil
        }
    }
    var settingText: String { self ? "true" : "false" }
    static var expectation: String { "true or false" }
}

extension String: SettingScalar {
    init?(settingText: String) { self = settingText }
    var settingText: String { self }
    static var expectation: String { "text" }
    static var isText: Bool { true }
}

extension SettingScalar where Self: RawRepresentable & CaseIterable, RawValue == String {
    init?(settingText: String) { self.init(rawValue: settingText) }
    var settingText: String { rawValue }
    static var expectation: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Activation: SettingScalar {}
extension DataFileFormat: SettingScalar {}
extension CSVHeader: SettingScalar {}
extension Initialization: SettingScalar {}
extension RecurrentInitialization: SettingScalar {}
extension OptimizerKind: SettingScalar {}

extension ExperimentSetting {
    typealias Path<Value> = WritableKeyPath<ExperimentConfiguration, Value> & Sendable

    /// A setting that always has a value.
    static func value<Value: SettingScalar>(_ key: String, _ path: Path<Value>,
                                            _ errorNames: String...) -> ExperimentSetting {
        ExperimentSetting(
            key: key, errorNames: errorNames, isStored: true, isText: Value.isText, expectation: Value.expectation,
            read: { .scalar($0[keyPath: path].settingText) },
            write: { configuration, value in
                guard case .scalar(let text) = value, let parsed = Value(settingText: text) else { return false }
                configuration[keyPath: path] = parsed
                return true
            })
    }

    /// DeCov's weight and layers as `--decov` writes them: `0` (off), `0.1` (every probed layer), `0.1@dense1,dense2`.
    static let decov = ExperimentSetting(
        key: "decov", errorNames: ["decov"], isStored: true, isText: false,
        expectation: "a weight ≥ 0, optionally followed by @ and layer names (0.1@dense1,dense2)",
        read: { configuration in
            let weight = configuration.decov.settingText
            return .scalar(configuration.decovLayers.isEmpty ? weight
                           : weight + "@" + configuration.decovLayers.joined(separator: ","))
        },
        write: { configuration, value in
            guard case .scalar(let text) = value,
                  let parsed = try? ExperimentConfiguration.parseDeCov(text) else { return false }
            configuration.decov = parsed.weight
            configuration.decovLayers = parsed.layers
            return true
        })

    /// The snapshot statistics: `default`, `all`, or names (a comma-separated scalar or a YAML list).
    static let statistics = ExperimentSetting(
        key: "statistics", errorNames: ["statistics"], isStored: true, isText: true,
        expectation: "default, all, or statistic names separated by commas ("
            + SnapshotStatistic.all.map(\.name).joined(separator: ", ") + ")",
        read: { .scalar($0.statistics.description) },
        write: { configuration, value in
            let text: String
            switch value {
            case .scalar(let scalar): text = scalar
            case .list(let items): text = items.joined(separator: ",")
            case .null: return false
            }
            guard let parsed = try? StatisticSelection(parsing: text) else { return false }
            configuration.statistics = parsed
            return true
        })

    /// A setting that may be unset (`null`).
    static func optional<Value: SettingScalar>(_ key: String, _ path: Path<Value?>, _ errorNames: String...,
                                               stored: Bool = true) -> ExperimentSetting {
        ExperimentSetting(
            key: key, errorNames: errorNames, isStored: stored, isText: Value.isText,
            expectation: Value.expectation + " or null",
            read: { $0[keyPath: path].map { .scalar($0.settingText) } ?? .null },
            write: { configuration, value in
                switch value {
                case .null: configuration[keyPath: path] = nil
                case .scalar(let text):
                    guard let parsed = Value(settingText: text) else { return false }
                    configuration[keyPath: path] = parsed
                case .list: return false
                }
                return true
            })
    }

    /// A list of non-empty names; one name alone may be written without brackets.
    static func list(_ key: String, _ path: Path<[String]>, _ errorNames: String...,
                     stored: Bool = true) -> ExperimentSetting {
        ExperimentSetting(
            key: key, errorNames: errorNames, isStored: stored, isText: true,
            expectation: "a name or a list of names",
            read: { .list($0[keyPath: path]) },
            write: { configuration, value in
                guard let items = names(value) else { return false }
                configuration[keyPath: path] = items
                return true
            })
    }

    /// The probed layers: null (every hidden layer) or names, each item also split at commas as `--probe` does.
    static func probes(_ key: String, _ path: Path<[String]?>, _ errorNames: String...) -> ExperimentSetting {
        ExperimentSetting(
            key: key, errorNames: errorNames, isStored: true, isText: true,
            expectation: "null or a list of layer names",
            read: { $0[keyPath: path].map { .list($0) } ?? .null },
            write: { configuration, value in
                if value == .null {
                    configuration[keyPath: path] = nil
                    return true
                }
                let split = names(value)?.flatMap {
                    $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                }
                guard let split, !split.contains(where: \.isEmpty) else { return false }
                configuration[keyPath: path] = split
                return true
            })
    }

    /// The items of a list, or of one scalar; nil for null or an empty item.
    private static func names(_ value: SettingValue) -> [String]? {
        let items: [String] = switch value {
        case .null: []
        case .scalar(let text): [text]
        case .list(let items): items
        }
        if value == .null || items.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return nil }
        return items
    }

    /// `lr-schedule`: constant, step or cosine. Choosing a schedule keeps the parameters it already has.
    static let schedule = ExperimentSetting(
        key: "lr-schedule", errorNames: ["lr_schedule"], isStored: true, isText: false,
        expectation: "one of constant, step, cosine",
        read: { .scalar($0.schedule.name) },
        write: { configuration, value in
            guard case .scalar(let name) = value else { return false }
            switch (name, configuration.schedule) {
            case ("constant", _): configuration.schedule = .constant
            case ("step", .step), ("cosine", .cosine): break
            case ("step", _): configuration.schedule = .newStep
            case ("cosine", _): configuration.schedule = .newCosine
            default: return false
            }
            return true
        })

    /// A parameter of one schedule: `read` gives nil under another schedule, which then shows the value `schedule`
    /// (the schedule as `lr-schedule` starts it) has; `write` changes only its own schedule.
    static func scheduleParameter<Value: SettingScalar>(
        _ key: String, _ errorName: String, of schedule: LearningRateSchedule,
        read: @escaping @Sendable (LearningRateSchedule) -> Value?,
        write: @escaping @Sendable (inout LearningRateSchedule, Value) -> Void) -> ExperimentSetting {
        guard let defaultValue = read(schedule) else { preconditionFailure("\(key) does not belong to \(schedule)") }
        return ExperimentSetting(
            key: key, errorNames: [errorName], isStored: true, isText: false, expectation: Value.expectation,
            read: { .scalar((read($0.schedule) ?? defaultValue).settingText) },
            write: { configuration, value in
                guard case .scalar(let text) = value, let parsed = Value(settingText: text) else { return false }
                write(&configuration.schedule, parsed)
                return true
            })
    }
}

extension LearningRateSchedule {
    /// The step schedule `lr-schedule: step` starts from: a tenth every 1000 steps.
    static let newStep = LearningRateSchedule.step(every: 1000, factor: 0.1)
    /// The cosine schedule `lr-schedule: cosine` starts from: down to zero.
    static let newCosine = LearningRateSchedule.cosine(minimumFactor: 0)
}
