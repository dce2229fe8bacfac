// A labelled classification dataset in memory, its validation, subsets and the seeded train/test/probe split.

/// Samples with `featureCount` Float features each, laid out as `sampleShape` (e.g. 1×28×28), and an integer label.
public struct Dataset: Sendable {
    /// Shown in messages and used to name splits.
    public let name: String
    /// The shape of one sample: `[featureCount]` for plain vectors, C×H×W for images.
    public let sampleShape: Shape
    /// Values per sample (= sampleShape.count).
    public var featureCount: Int { sampleShape.count }
    /// Labels are in 0..<classCount.
    public let classCount: Int
    /// Row-major (count, featureCount).
    public let features: [Float]
    /// count values in 0..<classCount.
    public let labels: [Int32]

    /// Number of samples.
    public var count: Int { labels.count }

    /// Checks featureCount ≥ 1, classCount ≥ 1, features.count == labels.count · featureCount, every label in
    /// 0..<classCount and every feature finite.
    public init(name: String, featureCount: Int, classCount: Int, features: [Float],
                labels: [Int32]) throws(DatasetError) {
        guard featureCount >= 1 else {
            throw DatasetError("dataset '\(name)': feature count must be at least 1, got \(featureCount)")
        }
        try self.init(name: name, sampleShape: .features(featureCount), classCount: classCount, features: features,
                      labels: labels)
    }

    /// The same checks, for samples of shape `sampleShape`.
    public init(name: String, sampleShape: Shape, classCount: Int, features: [Float],
                labels: [Int32]) throws(DatasetError) {
        let featureCount = sampleShape.count
        guard classCount >= 1 else {
            throw DatasetError("dataset '\(name)': class count must be at least 1, got \(classCount)")
        }
        guard features.count == labels.count * featureCount else {
            throw DatasetError("dataset '\(name)': \(features.count) feature values, expected \(labels.count) samples × \(featureCount) features = \(labels.count * featureCount)")
        }
        if let sample = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw DatasetError("dataset '\(name)': label \(labels[sample]) of sample \(sample) is outside 0..<\(classCount)")
        }
        if let position = features.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError("dataset '\(name)': feature \(position % featureCount) of sample \(position / featureCount) is not finite (\(features[position]))")
        }
        self.init(unchecked: name, sampleShape: sampleShape, classCount: classCount,
                  features: features, labels: labels)
    }

    private init(unchecked name: String, sampleShape: Shape, classCount: Int, features: [Float], labels: [Int32]) {
        self.name = name
        self.sampleShape = sampleShape
        self.classCount = classCount
        self.features = features
        self.labels = labels
    }

    /// The samples at `indices`, in that order (repeats allowed). Every index must be in 0..<count.
    public func subset(_ indices: [Int], name: String) -> Dataset {
        var subsetFeatures: [Float] = []
        subsetFeatures.reserveCapacity(indices.count * featureCount)
        var subsetLabels: [Int32] = []
        subsetLabels.reserveCapacity(indices.count)
        for index in indices {
            precondition(index >= 0 && index < count, "subset index \(index) outside 0..<\(count) of '\(self.name)'")
            subsetFeatures.append(contentsOf: features[index * featureCount ..< (index + 1) * featureCount])
            subsetLabels.append(labels[index])
        }
        return Dataset(unchecked: name, sampleShape: sampleShape, classCount: classCount,
                       features: subsetFeatures, labels: subsetLabels)
    }

    /// Seeded shuffle (``SeededGenerator`` with `seed`, Fisher–Yates), then the last `testCount` samples are the
    /// test split and the rest train; the probe set is the first `min(probeCount, testCount)` samples of the test
    /// split (held out, identical for a given seed). `testCount` and `probeCount` are clamped to 0...count.
    /// Names: "NAME-train", "NAME-test", "NAME-probe".
    public func split(testCount: Int, probeCount: Int, seed: UInt64) -> DatasetSplit {
        let testCount = Swift.min(Swift.max(testCount, 0), count)
        let probeCount = Swift.min(Swift.max(probeCount, 0), testCount)
        var order = Array(0..<count)
        var generator = SeededGenerator(seed: seed)
        generator.shuffle(&order)
        let trainCount = count - testCount
        let testIndices = Array(order[trainCount...])
        return DatasetSplit(train: subset(Array(order[..<trainCount]), name: "\(name)-train"),
                            test: subset(testIndices, name: "\(name)-test"),
                            probe: subset(Array(testIndices[..<probeCount]), name: "\(name)-probe"))
    }
}

/// The three parts of a dataset used by one run.
public struct DatasetSplit: Sendable {
    /// Samples trained on.
    public let train: Dataset
    /// Held-out samples for evaluation.
    public let test: Dataset
    /// The first samples of `test`, whose hidden activations are recorded during training.
    public let probe: Dataset

    /// Bundles three datasets; no check that probe ⊂ test.
    public init(train: Dataset, test: Dataset, probe: Dataset) {
        self.train = train
        self.test = test
        self.probe = probe
    }
}

/// A dataset that fails validation, with one line saying which dataset and what.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    /// The message, one line.
    public let description: String

    /// An error with this one-line message.
    public init(_ description: String) {
        self.description = description
    }
}
