// A sweep's definition: shared settings, a grid of values, seeds; read from YAML or flags, written back as YAML.
import Foundation
import Yams

/// Which seeds every grid point runs with.
public enum SweepSeeds: Sendable, Equatable {
    /// `count` seeds counting up from the base seed (0 unless `seed` is set): `seeds: 3` → 0, 1, 2.
    case count(Int)
    /// These seeds, in this order: `seeds: [1, 5, 9]`.
    case list([UInt64])

    /// The seeds, counting from `first` for ``count(_:)``.
    public func values(from first: UInt64) -> [UInt64] {
        switch self {
        case .count(let count): (0..<count).map { first &+ UInt64($0) }
        case .list(let seeds): seeds
        }
    }
}

/// One setting the grid varies, with its values in order.
public struct SweepAxis: Sendable, Equatable {
    /// The setting's key (a `tracker run` flag without its dashes).
    public var key: String
    public var values: [SettingValue]
    /// Where the axis was given, for errors.
    public var origin: SettingOrigin

    public init(key: String, values: [SettingValue], origin: SettingOrigin) {
        self.key = key
        self.values = values
        self.origin = origin
    }
}

/// What `tracker sweep` runs: every combination of the grid's values, each with every seed, on top of the shared
/// settings. As YAML (the keys of `base` and `grid` are `tracker run`'s flags without their dashes):
///
/// ```yaml
/// name: lr-width              # optional: the file's name without its extension
/// base:                       # settings every run shares
///   data: digits
///   epochs: 5
/// grid:                       # every combination; the first key varies slowest
///   lr: [0.01, 0.03, 0.1]
///   arch: [dense64-relu, "128,64"]
/// seeds: 3                    # seeds 0, 1, 2 (from base's seed when set), or a list: [1, 5, 9]
/// ```
public struct SweepDefinition: Sendable, Equatable {
    /// Identifies the sweep in a database: re-running a sweep of the same name resumes it.
    public var name: String
    public var base: [GivenSetting]
    public var grid: [SweepAxis]
    /// nil: one run per grid point, with the base seed.
    public var seeds: SweepSeeds?

    /// The top-level keys of a sweep file.
    static let sections = ["name", "base", "grid", "seeds"]

    /// A checked definition.
    ///
    /// - Throws: ``SettingError`` naming where the fault was given: a name that is not a plain word, a grid key that
    ///   is unknown, a label (`name`, `tag`), repeated, also a base setting, or without values; a value of the wrong
    ///   type or given twice; seeds that are not positive, repeated, or given besides a `seed` grid.
    public init(name: String, base: [GivenSetting], grid: [SweepAxis], seeds: SweepSeeds?,
                nameOrigin: SettingOrigin = .commandLine, seedsOrigin: SettingOrigin = .commandLine) throws(SettingError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }),
              name.first != "." && name.first != "-" else {
            throw SettingError(origin: nameOrigin, key: "name", message: "sweep name '\(name)' must be a word of "
                               + "letters, digits, '.', '_' and '-' (it names files and tags runs)")
        }
        if let label = base.first(where: { $0.key == "name" }) {
            throw SettingError(origin: label.origin, key: "name",
                               message: "name: a sweep names its runs itself; give the sweep's name instead")
        }
        var seen: [String: SettingOrigin] = [:]
        for axis in grid {
            // A flag's axis is named `--grid KEY` (not `--KEY`, the flag of a base setting).
            func failure(_ message: String) -> SettingError {
                axis.origin == .commandLine ? SettingError(origin: .commandLine, key: nil, message: "--grid " + message)
                    : SettingError(origin: axis.origin, key: axis.key, message: message)
            }
            guard let setting = ExperimentConfiguration.setting(axis.key) else {
                throw failure(ExperimentConfiguration.unknownKeyMessage(axis.key))
            }
            guard setting.isStored else {
                throw failure("\(axis.key): a label, not a setting; it cannot be swept")
            }
            guard seen[axis.key] == nil else { throw failure("\(axis.key): swept twice") }
            seen[axis.key] = axis.origin
            if base.contains(where: { $0.key == axis.key }) {
                throw failure("\(axis.key): both swept and set for every run; drop one")
            }
            guard !axis.values.isEmpty else { throw failure("\(axis.key): no values to sweep") }
            var canonical: Set<SettingValue> = []
            for value in axis.values {
                var scratch = ExperimentConfiguration()
                do { try setting.apply(value, to: &scratch, origin: axis.origin) } catch { throw failure(error.message) }
                let read = setting.value(in: scratch)
                guard canonical.insert(read).inserted else {
                    throw failure("\(axis.key): \(Self.text(value)) given twice")
                }
            }
        }
        if let seeds {
            if seen["seed"] != nil {
                throw SettingError(origin: seedsOrigin, key: "seeds", message: "seeds: given besides a grid of seed; drop one")
            }
            switch seeds {
            case .count(let count) where count < 1:
                throw SettingError(origin: seedsOrigin, key: "seeds", message: "seeds: expected a count ≥ 1 or a list of seeds, got \(count)")
            case .list(let list) where list.isEmpty:
                throw SettingError(origin: seedsOrigin, key: "seeds", message: "seeds: the list is empty")
            case .list(let list) where Set(list).count != list.count:
                let repeated = list.first { seed in list.filter { $0 == seed }.count > 1 }!
                throw SettingError(origin: seedsOrigin, key: "seeds", message: "seeds: \(repeated) given twice")
            default: break
            }
        }
        self.name = name
        self.base = base
        self.grid = grid
        self.seeds = seeds
    }

    /// Whether `threads` is set by the definition (else the sweep chooses it, and it is not part of a run's identity).
    public var setsThreads: Bool { base.contains { $0.key == "threads" } || grid.contains { $0.key == "threads" } }

    /// The runs it makes: the product of the grid's value counts times the seeds.
    public var runCount: Int { grid.reduce(1) { $0 * $1.values.count } * max(1, seedCount) }

    var seedCount: Int {
        switch seeds {
        case .count(let count): count
        case .list(let list): list.count
        case nil: 1
        }
    }

    // MARK: Reading

    /// Reads a sweep file.
    ///
    /// - Parameters:
    ///   - source: The file's path, for errors.
    ///   - defaultName: The name when the file gives none (the file's name without its extension).
    /// - Throws: ``SettingError`` naming the file and line.
    public static func read(yaml text: String, source: String, defaultName: String) throws(SettingError)
        -> SweepDefinition {
        func failure(_ node: Node?, _ key: String?, _ message: String) -> SettingError {
            SettingError(origin: .text(source: source, line: node?.mark?.line), key: key, message: message)
        }
        guard let root = try ConfigurationFile.compose(text, source: source) else {
            throw failure(nil, nil, "the sweep file is empty (expected base:, grid: and seeds:)")
        }
        guard case .mapping(let mapping) = root else {
            throw failure(root, nil, "expected a mapping with base:, grid: and seeds:, found "
                          + ConfigurationFile.describe(root))
        }
        var name: String?
        var nameOrigin = SettingOrigin.text(source: source, line: nil)
        var base: [GivenSetting] = []
        var grid: [SweepAxis] = []
        var seeds: SweepSeeds?
        var seedsOrigin = SettingOrigin.text(source: source, line: nil)
        for (keyNode, valueNode) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let origin = SettingOrigin.text(source: source, line: keyNode.mark?.line)
            switch key {
            case "name":
                guard case .scalar(let scalar) = valueNode else {
                    throw failure(keyNode, key, "name: expected a word, found " + ConfigurationFile.describe(valueNode))
                }
                name = scalar.string
                nameOrigin = origin
            case "base":
                if case .scalar(let scalar) = valueNode, scalar.string.isEmpty || scalar.string == "null" { continue }
                guard case .mapping(let settings) = valueNode else {
                    throw failure(keyNode, key, "base: expected settings as 'key: value' lines, found "
                                  + ConfigurationFile.describe(valueNode))
                }
                base = try ConfigurationFile.settings(in: settings, source: source)
            case "grid":
                if case .scalar(let scalar) = valueNode, scalar.string.isEmpty || scalar.string == "null" { continue }
                guard case .mapping(let axes) = valueNode else {
                    throw failure(keyNode, key, "grid: expected 'key: [values]' lines, found "
                                  + ConfigurationFile.describe(valueNode))
                }
                for (axisKey, values) in axes {
                    let axisOrigin = SettingOrigin.text(source: source, line: axisKey.mark?.line)
                    guard let axisName = axisKey.scalar?.string else {
                        throw failure(axisKey, nil, "expected a key, found " + ConfigurationFile.describe(axisKey))
                    }
                    let items: [Node] = if case .sequence(let sequence) = values { Array(sequence) } else { [values] }
                    var parsed: [SettingValue] = []
                    for item in items {
                        guard case .scalar(let scalar) = item else {
                            throw failure(item, axisName, "\(axisName): expected a list of values, found a list holding "
                                          + ConfigurationFile.describe(item))
                        }
                        let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
                        parsed.append(isNull ? .null : .scalar(scalar.string))
                    }
                    grid.append(SweepAxis(key: axisName, values: parsed, origin: axisOrigin))
                }
            case "seeds":
                seedsOrigin = origin
                switch valueNode {
                case .scalar(let scalar):
                    guard let count = Int(scalar.string) else {
                        throw failure(keyNode, key, "seeds: expected a count or a list of seeds, got '\(scalar.string)'")
                    }
                    seeds = .count(count)
                case .sequence(let sequence):
                    var list: [UInt64] = []
                    for item in sequence {
                        guard let seed = item.scalar.flatMap({ UInt64($0.string) }) else {
                            throw failure(item, key, "seeds: expected integers from 0 to 2^64 - 1, got "
                                          + ConfigurationFile.describe(item))
                        }
                        list.append(seed)
                    }
                    seeds = .list(list)
                default:
                    throw failure(keyNode, key, "seeds: expected a count or a list of seeds, found "
                                  + ConfigurationFile.describe(valueNode))
                }
            default:
                let hint = ExperimentConfiguration.setting(key) != nil ? " (run settings go under base:)" : ""
                throw failure(keyNode, key, "unknown key '\(key)': a sweep file has name:, base:, grid: and seeds:\(hint)")
            }
        }
        return try SweepDefinition(name: name ?? defaultName, base: base, grid: grid, seeds: seeds,
                                   nameOrigin: nameOrigin, seedsOrigin: seedsOrigin)
    }

    /// One `--grid` flag: `KEY=V1,V2,...`; values holding commas (`--arch 128,64`) are separated by `;` instead.
    ///
    /// - Throws: ``SettingError`` (from the command line) for text without `=` or without values.
    public static func axis(parsing text: String) throws(SettingError) -> SweepAxis {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw SettingError(origin: .commandLine, key: nil,
                               message: "--grid: expected KEY=VALUE,VALUE,... (e.g. lr=0.01,0.1), got '\(text)'")
        }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces)
        let list = text[text.index(after: equals)...]
        let separator: Character = list.contains(";") ? ";" : ","
        let values = list.split(separator: separator, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if values.contains(where: \.isEmpty) {
            throw SettingError(origin: .commandLine, key: key,
                               message: "--grid \(key): an empty value in '\(list)' (separate values by commas, or by "
                               + "';' when they hold commas)")
        }
        return SweepAxis(key: key, values: values.map { $0 == "null" ? .null : .scalar($0) }, origin: .commandLine)
    }

    /// The `--seeds` flag: a count (`5`) or a comma-separated list (`1,5,9`).
    public static func seeds(parsing text: String) throws(SettingError) -> SweepSeeds {
        if !text.contains(","), let count = Int(text) { return .count(count) }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let seeds = items.compactMap { UInt64($0) }
        guard seeds.count == items.count else {
            throw SettingError(origin: .commandLine, key: "seeds",
                               message: "--seeds: expected a count (5) or a list of seeds (1,5,9), got '\(text)'")
        }
        return .list(seeds)
    }

    // MARK: Writing

    /// The definition as a sweep file that reads back as the same sweep: base settings in the settings table's
    /// order (the last value of a key given twice), the grid in its order, the seeds as given.
    public var yaml: String {
        var text = "name: \(name)\n"
        var latest: [String: SettingValue] = [:]
        for setting in base { latest[setting.key] = setting.value }
        let ordered = ExperimentConfiguration.settings.compactMap { setting in
            latest[setting.key].map { (key: setting.key, value: $0) }
        }
        if !ordered.isEmpty {
            text += "base:\n" + ConfigurationFile.yaml(ordered).split(separator: "\n").map { "  \($0)\n" }.joined()
        }
        if !grid.isEmpty {
            text += "grid:\n"
            for axis in grid {
                let isText = ExperimentConfiguration.setting(axis.key)?.isText ?? true
                let values = axis.values.map { value -> String in
                    guard case .scalar(let scalar) = value else { return "null" }
                    return Self.flowScalar(scalar, isText: isText)
                }
                text += "  \(axis.key): [\(values.joined(separator: ", "))]\n"
            }
        }
        switch seeds {
        case .count(let count): text += "seeds: \(count)\n"
        case .list(let list): text += "seeds: [\(list.map(String.init).joined(separator: ", "))]\n"
        case nil: break
        }
        return text
    }

    /// A scalar inside a flow list: plain when it is made of characters that cannot end or open anything, else
    /// double-quoted (text that could read as a number or boolean is quoted for text settings).
    static func flowScalar(_ scalar: String, isText: Bool) -> String {
        if isText { return ConfigurationFile.quoted(scalar, inList: true) }
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-@")
        if !scalar.isEmpty, scalar.unicodeScalars.allSatisfy(plain.contains), scalar.first != "@" { return scalar }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(scalar)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// A value as a person reads it in messages and run names: `0.1`, `null`, `[a, b]`.
    static func text(_ value: SettingValue) -> String {
        switch value {
        case .null: "null"
        case .scalar(let text): text
        case .list(let items): "[" + items.joined(separator: ", ") + "]"
        }
    }
}
