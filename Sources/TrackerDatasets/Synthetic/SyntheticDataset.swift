// Seeded synthetic data sets for control experiments: Gaussian clusters, a random teacher network, a memory task.
import Foundation
import TrackerEngine

/// A synthetic data set, named by its kind and parameters: `synthetic:KIND[,KEY=VALUE...]`, e.g.
/// `synthetic:clusters,classes=8,separation=2,seed=3`. Its samples are generated from its data `seed` (independent
/// of a run's seed), with ``SeededGenerator`` and IEEE-754 basic operations only, so a name gives the same data on
/// every platform. ``name`` spells every parameter, defaults included, so runs on the same data group together.
///
/// Kinds (parameters and defaults in ``parameterSpecs``; every kind also has `samples` = 2000 and `seed` = 0):
/// - `clusters`: `classes` Gaussian clusters in `dimension` dimensions. Class k's mean is a random direction
///   scaled to length `separation`; a sample is its class's mean plus N(0, I). Classes take turns (balanced).
/// - `teacher`: x ~ N(0, I) in `dimension` dimensions, labelled by a fixed random network of the seed:
///   h = relu(W₁x) − ‖w₁ⱼ‖/√(2π) (centred, so no class dominates), label = argmax W₂h; W₁ is hidden × dimension
///   with N(0, 1/dimension) entries, W₂ classes × hidden with N(0, 1/hidden).
/// - `sequence`: `steps` × `features` sequences of N(0, noise²) in which class k's pattern (±1 per feature) is added
///   at one step in the first quarter, and a random class's pattern at one step of the second half as a distractor;
///   the label is the early pattern's class, so a recurrent net must remember it to the end.
public struct SyntheticDataset: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case clusters, teacher, sequence
    }

    /// A parameter of a kind: its name, default and allowed range; whole numbers unless `isReal`.
    public struct ParameterSpec: Sendable {
        public let name: String
        public let defaultValue: Double
        public let range: ClosedRange<Double>
        public let isReal: Bool
    }

    /// "synthetic:", the prefix that selects a synthetic data set.
    public static let prefix = "synthetic:"

    public let kind: Kind
    /// Every parameter's value, defaults filled in, in the order of ``parameterSpecs``.
    public let values: [Double]
    /// The data seed.
    public let seed: UInt64

    /// The parameters of each kind, in the order the name spells them (`seed` comes last, in every kind).
    public static func parameterSpecs(_ kind: Kind) -> [ParameterSpec] {
        let samples = ParameterSpec(name: "samples", defaultValue: 2000, range: 10...1_000_000, isReal: false)
        let classes = ParameterSpec(name: "classes", defaultValue: 4, range: 2...1000, isReal: false)
        switch kind {
        case .clusters:
            return [samples, classes,
                    ParameterSpec(name: "dimension", defaultValue: 16, range: 1...65536, isReal: false),
                    ParameterSpec(name: "separation", defaultValue: 3, range: 0...1000, isReal: true)]
        case .teacher:
            return [samples, classes,
                    ParameterSpec(name: "dimension", defaultValue: 20, range: 1...65536, isReal: false),
                    ParameterSpec(name: "hidden", defaultValue: 32, range: 1...4096, isReal: false)]
        case .sequence:
            return [samples, classes,
                    ParameterSpec(name: "steps", defaultValue: 20, range: 4...1000, isReal: false),
                    ParameterSpec(name: "features", defaultValue: 8, range: 1...4096, isReal: false),
                    ParameterSpec(name: "noise", defaultValue: 0.5, range: 0...100, isReal: true)]
        }
    }

    /// A help line listing the kinds and their parameters with defaults.
    public static var help: String {
        Kind.allCases.map { kind in
            "synthetic:\(kind.rawValue) (" + parameterSpecs(kind).map { "\($0.name)=\(format($0.defaultValue))" }
                .joined(separator: ",") + ",seed=0)"
        }.joined(separator: ", ")
    }

    /// Parses `synthetic:KIND[,KEY=VALUE...]`; parameters not given take their defaults.
    ///
    /// - Throws: ``DatasetFormatError`` for an unknown kind or parameter, a repeated parameter, or a value that is not
    ///   a number in the parameter's range (whole where it must be).
    public static func parse(_ text: String) throws(DatasetFormatError) -> SyntheticDataset {
        func fail(_ problem: String) -> DatasetFormatError { DatasetFormatError(description: "'\(text)': \(problem)") }
        guard text.hasPrefix(prefix) else { throw fail("a synthetic data set starts with '\(prefix)'") }
        let parts = text.dropFirst(prefix.count).split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let kind = Kind(rawValue: parts[0].lowercased()) else {
            throw fail("unknown synthetic data set '\(parts[0])' (kinds: "
                       + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let specs = parameterSpecs(kind)
        var values = specs.map(\.defaultValue)
        var seed: UInt64 = 0
        var given: Set<String> = []
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty else { throw fail("'\(part)' is not KEY=VALUE") }
            let (key, valueText) = (pair[0].lowercased(), pair[1])
            guard given.insert(key).inserted else { throw fail("\(key) is given twice") }
            if key == "seed" {
                guard let parsed = UInt64(valueText) else {
                    throw fail("seed must be a whole number in 0...\(UInt64.max), got '\(valueText)'")
                }
                seed = parsed
                continue
            }
            guard let index = specs.firstIndex(where: { $0.name == key }) else {
                throw fail("synthetic:\(kind.rawValue) has no parameter '\(key)' (parameters: "
                           + (specs.map(\.name) + ["seed"]).joined(separator: ", ") + ")")
            }
            let spec = specs[index]
            let bounds = "\(format(spec.range.lowerBound))...\(format(spec.range.upperBound))"
            guard let value = Double(valueText), value.isFinite, spec.range.contains(value),
                  spec.isReal || value == value.rounded() else {
                throw fail("\(key) must be \(spec.isReal ? "a number" : "a whole number") in \(bounds), got '\(valueText)'")
            }
            values[index] = value
        }
        let dataset = SyntheticDataset(kind: kind, values: values, seed: seed)
        guard dataset.sampleCount * dataset.sampleShape.count <= 1 << 28 else {
            throw fail("\(dataset.sampleCount) samples of \(dataset.sampleShape) values is too much data (at most 2^28 "
                       + "values)")
        }
        return dataset
    }

    /// The value of parameter `name` (a precondition that the kind has it).
    public func value(_ name: String) -> Double {
        guard let index = Self.parameterSpecs(kind).firstIndex(where: { $0.name == name }) else {
            preconditionFailure("synthetic:\(kind.rawValue) has no parameter \(name)")
        }
        return values[index]
    }

    private func integer(_ name: String) -> Int { Int(value(name)) }

    /// Every parameter spelled out: `synthetic:clusters,samples=2000,classes=4,dimension=16,separation=3,seed=0`.
    public var name: String {
        Self.prefix + kind.rawValue + zip(Self.parameterSpecs(kind), values).map { ",\($0.name)=\(Self.format($1))" }
            .joined() + ",seed=\(seed)"
    }

    /// What the data are, for `datasets.source`.
    public var source: String {
        switch kind {
        case .clusters:
            "synthetic Gaussian clusters generated by tracker: class means of length separation in random directions, "
                + "unit-variance noise"
        case .teacher:
            "synthetic teacher labels generated by tracker: Gaussian inputs labelled by a random one-hidden-layer ReLU "
                + "network of the seed"
        case .sequence:
            "synthetic sequences generated by tracker: the class pattern early in the first quarter, a distractor "
                + "pattern in the second half, Gaussian noise"
        }
    }

    public var sampleCount: Int { integer("samples") }
    public var classCount: Int { integer("classes") }

    /// `[dimension]` for clusters and teacher, `[steps, features]` for sequence.
    public var sampleShape: Shape {
        switch kind {
        case .clusters, .teacher: .features(integer("dimension"))
        case .sequence: Shape([integer("steps"), integer("features")])
        }
    }

    /// Held-out samples when a run does not say: a fifth.
    public var defaultTestSamples: Int { max(1, sampleCount / 5) }

    /// Generates the samples (the same for the same name, everywhere).
    public func generate() -> Dataset {
        var generator = SeededGenerator(seed: SeededGenerator.mix(seed, UInt64(Kind.allCases.firstIndex(of: kind)!)))
        let count = sampleCount
        let classes = classCount
        let width = sampleShape.count
        var features = [Float](repeating: 0, count: count * width)
        var labels = [Int32](repeating: 0, count: count)
        switch kind {
        case .clusters:
            let separation = value("separation")
            let means = (0..<classes).flatMap { _ in
                let direction = (0..<width).map { _ in generator.nextGaussian() }
                let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return direction.map { norm > 0 ? $0 / norm * separation : 0 }
            }
            for sample in 0..<count {
                let label = sample % classes
                labels[sample] = Int32(label)
                for feature in 0..<width {
                    features[sample * width + feature] = Float(means[label * width + feature] + generator.nextGaussian())
                }
            }
        case .teacher:
            let hidden = integer("hidden")
            let first = (0..<hidden * width).map { _ in generator.nextGaussian() / Double(width).squareRoot() }
            let second = (0..<classes * hidden).map { _ in generator.nextGaussian() / Double(hidden).squareRoot() }
            // E[relu(a)] for a ~ N(0, ‖w‖²) is ‖w‖/√(2π): subtracted so the hidden units, and the logits, are centred.
            let offsets = (0..<hidden).map { unit in
                (0..<width).reduce(0.0) { $0 + first[unit * width + $1] * first[unit * width + $1] }.squareRoot()
                    * 0.398_942_280_401_432_7
            }
            var input = [Double](repeating: 0, count: width)
            var activations = [Double](repeating: 0, count: hidden)
            for sample in 0..<count {
                for feature in 0..<width {
                    input[feature] = generator.nextGaussian()
                    features[sample * width + feature] = Float(input[feature])
                }
                for unit in 0..<hidden {
                    var sum = 0.0
                    for feature in 0..<width { sum += first[unit * width + feature] * input[feature] }
                    activations[unit] = max(sum, 0) - offsets[unit]
                }
                var best = 0
                var bestLogit = -Double.infinity
                for label in 0..<classes {
                    var logit = 0.0
                    for unit in 0..<hidden { logit += second[label * hidden + unit] * activations[unit] }
                    if logit > bestLogit { (best, bestLogit) = (label, logit) }
                }
                labels[sample] = Int32(best)
            }
        case .sequence:
            let steps = integer("steps")
            let featureCount = integer("features")
            let noise = value("noise")
            let patterns = (0..<classes * featureCount).map { _ in generator.next() & 1 == 0 ? -1.0 : 1.0 }
            for sample in 0..<count {
                let label = sample % classes
                labels[sample] = Int32(label)
                let cue = generator.nextInt(below: max(1, steps / 4))
                let distractorStep = steps / 2 + generator.nextInt(below: steps - steps / 2)
                let distractor = generator.nextInt(below: classes)
                for step in 0..<steps {
                    for feature in 0..<featureCount {
                        var value = noise * generator.nextGaussian()
                        if step == cue { value += patterns[label * featureCount + feature] }
                        if step == distractorStep { value += patterns[distractor * featureCount + feature] }
                        features[(sample * steps + step) * featureCount + feature] = Float(value)
                    }
                }
            }
        }
        do {
            return try Dataset(name: name, sampleShape: sampleShape, classCount: classes, features: features,
                               labels: labels)
        } catch {
            preconditionFailure("synthetic data failed validation: \(error)")  // generated values are finite
        }
    }

    /// A parameter value as the name spells it: whole numbers without a decimal point.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
