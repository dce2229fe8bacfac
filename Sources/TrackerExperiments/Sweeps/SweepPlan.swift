// A sweep expanded into concrete runs: each run's configuration, its identity, and which shard runs it.
import Foundation
import TrackerStore

/// One run of a sweep, fully resolved.
public struct SweepPoint: Sendable {
    /// Position in the expansion, from 0: grid points in order (the first key varying slowest), seeds innermost.
    public let index: Int
    /// The grid's values for this run, then its seed, as text: what tells it from the sweep's other runs.
    public let values: [(key: String, value: String)]
    public let seed: UInt64
    /// The run's settings: base, then grid values, then seed and (when the sweep chooses them) BLAS threads.
    public let configuration: ExperimentConfiguration
    /// The run's identity: lowercase hex SHA-256 of the lines of its stored configuration (`runs.configuration`)
    /// whose values differ from tracker's defaults, in the settings table's order (`arch: dense8-relu\nlr: 0.01\n`).
    /// Defaults are left out so that a later tracker that adds a setting (whose default keeps earlier behaviour)
    /// resumes the same sweep; `threads` counts only when the sweep sets it (so a sweep resumed with other `--jobs`,
    /// or on another machine, is the same).
    public let key: String

    /// `lr=0.01 arch=128 seed=0`.
    public var label: String { values.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

    /// The link to write with the run.
    public func membership(sweepUUID: String) -> SweepMembership {
        SweepMembership(sweepUUID: sweepUUID, runIndex: index, runKey: key)
    }
}

/// A run of a sweep that cannot run, in one line naming where its setting was given and which run it is:
/// `sweep.yaml:7: lr: run 4 (lr=-1 seed=0): learning rate must be positive, got -1.0`.
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// `--shard I/N`: the runs whose index is I modulo N, so N shards hold every run exactly once, whatever N.
public struct SweepShard: Sendable, Equatable, CustomStringConvertible {
    /// From 0 to `count` − 1.
    public let index: Int
    public let count: Int

    /// - Throws: ``SettingError`` for text that is not `I/N` with 0 ≤ I < N.
    public init(parsing text: String) throws(SettingError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
              (0..<count).contains(index) else {
            throw SettingError(origin: .commandLine, key: "shard",
                               message: "--shard: expected I/N with 0 ≤ I < N (e.g. 0/4), got '\(text)'")
        }
        self.init(index: index, count: count)
    }

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "a shard is I/N with 0 ≤ I < N")
        self.index = index
        self.count = count
    }

    /// Whether the run at `runIndex` of the expansion belongs to this shard.
    public func contains(_ runIndex: Int) -> Bool { runIndex % count == index }

    public var description: String { "\(index)/\(count)" }
}

extension SweepDefinition {
    /// Every run of the sweep, in order: the product of the grid's values (first key slowest), each with every seed
    /// (innermost). Runs are tagged with the sweep's name (besides base's tags) and named `NAME lr=0.01 seed=0`.
    ///
    /// - Parameter threads: The BLAS threads of each run when the definition does not set `threads`.
    /// - Throws: ``SettingError`` for a value of the wrong type (already checked by the initialiser, so only for a
    ///   definition built without it).
    public func expand(threads: Int) throws(SettingError) -> [SweepPoint] {
        var firstSeed: UInt64 = 0
        if let seed = base.last(where: { $0.key == "seed" }) {
            firstSeed = try ExperimentConfiguration([seed]).seed
        }
        let seedValues = seeds?.values(from: firstSeed)
        let defaults = Dictionary(uniqueKeysWithValues: ExperimentConfiguration().storedSettings.map { ($0.key, $0.value) })
        var combinations: [[(axis: SweepAxis, value: SettingValue)]] = [[]]
        for axis in grid {
            combinations = combinations.flatMap { prefix in axis.values.map { prefix + [(axis, $0)] } }
        }
        var points: [SweepPoint] = []
        for combination in combinations {
            for seed in seedValues.map({ $0.map(Optional.some) }) ?? [nil] {
                var given = base
                given += combination.map { GivenSetting(key: $0.axis.key, value: $0.value, origin: $0.axis.origin) }
                if let seed { given.append(GivenSetting(key: "seed", value: .scalar(String(seed)), origin: .commandLine)) }
                if !setsThreads {
                    given.append(GivenSetting(key: "threads", value: .scalar(String(threads)), origin: .commandLine))
                }
                var configuration = try ExperimentConfiguration(given)
                var values = combination.map { (key: $0.axis.key, value: Self.text($0.value)) }
                if !grid.contains(where: { $0.key == "seed" }) {
                    values.append((key: "seed", value: String(configuration.seed)))
                }
                let label = values.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                configuration.name = "\(name) \(label)"
                if !configuration.tags.contains(name) { configuration.tags.append(name) }
                let identity = configuration.storedSettings.filter { setting in
                    setting.key == "threads" ? setsThreads : setting.value != defaults[setting.key]
                }
                points.append(SweepPoint(index: points.count, values: values, seed: configuration.seed,
                                         configuration: configuration,
                                         key: ContentHash.sha256Hex(ConfigurationFile.yaml(identity))))
            }
        }
        return points
    }

    /// Checks that every run can start, before any does: each distinct configuration (seeds aside) is built as the
    /// run would build it (data set, architecture, optimiser), without training.
    ///
    /// - Throws: ``SweepError`` for the first run that cannot start, naming where the setting at fault was given.
    public func validate(_ points: [SweepPoint]) throws(SweepError) {
        var checked: Set<String> = []
        for point in points {
            var probe = point.configuration
            probe.seed = 0
            guard checked.insert(ConfigurationFile.yaml(for: probe)).inserted else { continue }
            do {
                _ = try ExperimentRunner(point.configuration)
            } catch let error as ConfigurationError {
                let key = error.setting.flatMap { ExperimentConfiguration.setting(errorName: $0)?.key }
                let origin = key.flatMap { key in
                    grid.first { $0.key == key }?.origin ?? base.last { $0.key == key }?.origin
                }
                var place = ""
                if case .text(let source, let line)? = origin { place = "\(source)\(line.map { ":\($0)" } ?? ""): " }
                if let key {
                    let swept = grid.contains { $0.key == key }
                    place += (origin == .commandLine ? (swept ? "--grid " : "--") : "") + key + ": "
                }
                throw SweepError(description: "\(place)run \(point.index) (\(point.label)): \(error.description)")
            } catch {
                throw SweepError(description: "run \(point.index) (\(point.label)): \(error)")
            }
        }
    }
}
