// What the store is told about a new run: plain descriptions, free of any engine type.
import Foundation

/// The status of a run, as stored in `runs.status`.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case running, finished, failed, interrupted
    /// Its process died while recording (no commit for longer than `tracker reap --older-than`).
    case crashed
}

/// A hyperparameter value; its case decides the SQL type of `hyperparameters.value`.
public enum HyperparameterValue: Sendable, Equatable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A layer, as rows of `layers`: the store does not interpret it.
public struct LayerDescription: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var kind: String
    public var units: Int
    public var activation: String?
    public var isHidden: Bool
    /// Whether the layer's output gets correlation snapshots.
    public var isProbed: Bool

    public init(index: Int, name: String, kind: String, units: Int, activation: String?, isHidden: Bool,
                isProbed: Bool? = nil) {
        self.index = index
        self.name = name
        self.kind = kind
        self.units = units
        self.activation = activation
        self.isHidden = isHidden
        self.isProbed = isProbed ?? isHidden
    }
}

/// An architecture: its JSON spec (canonicalised by the store before hashing) and its layers.
public struct ArchitectureDescription: Sendable, Equatable {
    public var specJSON: String
    public var summary: String
    public var inputSize: Int
    public var outputSize: Int
    public var parameterCount: Int
    public var layers: [LayerDescription]

    public init(specJSON: String, summary: String, inputSize: Int, outputSize: Int, parameterCount: Int,
                layers: [LayerDescription]) {
        self.specJSON = specJSON
        self.summary = summary
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.parameterCount = parameterCount
        self.layers = layers
    }
}

/// A data set, identified by the SHA-256 of its content (so the same data is one row wherever its files lie).
public struct DatasetDescription: Sendable, Equatable {
    public var name: String
    public var source: String
    /// Every sample, the held-out ones included.
    public var sampleCount: Int
    public var featureCount: Int
    public var classCount: Int
    public var contentHash: String
    /// One sample's shape, e.g. "1x28x28", "20x8", "64"; nil when unknown.
    public var sampleShape: String?
    /// Samples of the source's own test set (IDX t10k, CIFAR-10 test_batch, x_test), part of `sampleCount`; 0 when
    /// runs split their test set off the samples.
    public var testSampleCount: Int

    public init(name: String, source: String, sampleCount: Int, featureCount: Int, classCount: Int,
                contentHash: String, sampleShape: String? = nil, testSampleCount: Int = 0) {
        self.name = name
        self.source = source
        self.sampleCount = sampleCount
        self.featureCount = featureCount
        self.classCount = classCount
        self.contentHash = contentHash
        self.sampleShape = sampleShape
        self.testSampleCount = testSampleCount
    }
}

/// Everything `runs` and its dimension tables hold about a run before it trains.
public struct RunDescription: Sendable {
    public var uuid: UUID
    public var name: String?
    public var seed: Int64
    public var host: String
    public var commandLine: String
    public var architecture: ArchitectureDescription
    public var hyperparameters: [String: HyperparameterValue]
    public var dataset: DatasetDescription
    public var trainSamples: Int
    public var testSamples: Int
    public var probeSamples: Int
    public var totalSteps: Int
    /// JSON that says how snapshot steps were chosen (see `runs.snapshot_schedule`).
    public var snapshotScheduleJSON: String
    public var tags: [String]
    /// OpenBLAS threads the run uses (its numbers are reproducible at a fixed count).
    public var blasThreads: Int
    /// Every setting of the run as YAML (`runs.configuration`), which re-runs it; nil when unknown.
    public var configuration: String?
    /// The data path or synthetic data set name as the run was given it (`runs.data_path`); nil for bundled data.
    public var dataPath: String?
    /// The sweep that started the run, linked in the same transaction that inserts it; nil for a run of its own.
    public var sweep: SweepMembership?

    public init(uuid: UUID = UUID(), name: String?, seed: Int64, host: String, commandLine: String,
                architecture: ArchitectureDescription, hyperparameters: [String: HyperparameterValue],
                dataset: DatasetDescription, trainSamples: Int, testSamples: Int, probeSamples: Int,
                totalSteps: Int, snapshotScheduleJSON: String, tags: [String], blasThreads: Int = 1,
                configuration: String? = nil, dataPath: String? = nil, sweep: SweepMembership? = nil) {
        self.uuid = uuid
        self.name = name
        self.seed = seed
        self.host = host
        self.commandLine = commandLine
        self.architecture = architecture
        self.hyperparameters = hyperparameters
        self.dataset = dataset
        self.trainSamples = trainSamples
        self.testSamples = testSamples
        self.probeSamples = probeSamples
        self.totalSteps = totalSteps
        self.snapshotScheduleJSON = snapshotScheduleJSON
        self.tags = tags
        self.blasThreads = blasThreads
        self.configuration = configuration
        self.dataPath = dataPath
        self.sweep = sweep
    }
}

/// One row of `step_metrics`.
public struct StepMetricsRow: Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var learningRate: Double
    public var wallTime: Double
    /// L2 norm of the gradients before clipping; nil when not measured.
    public var gradientNorm: Double?
    /// Sum of the weighted penalties the step's objective added to `trainLoss` (0 without regularisers).
    public var penalty: Double

    public init(step: Int, epoch: Int, trainLoss: Double, trainAccuracy: Double, learningRate: Double,
                wallTime: Double, gradientNorm: Double? = nil, penalty: Double = 0) {
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.learningRate = learningRate
        self.wallTime = wallTime
        self.gradientNorm = gradientNorm
        self.penalty = penalty
    }
}

/// One row of `step_penalties`: one regularisation term of one step.
public struct StepPenaltyRow: Sendable, Equatable {
    public var step: Int
    /// The regulariser's name, e.g. "decov_dense1".
    public var name: String
    /// The weighted term added to the step's objective (λ · L).
    public var value: Double

    public init(step: Int, name: String, value: Double) {
        self.step = step
        self.name = name
        self.value = value
    }
}

/// One row of `evaluations`.
public struct EvaluationRow: Sendable, Equatable {
    public var step: Int
    public var split: String
    public var loss: Double
    public var accuracy: Double
    public var sampleCount: Int
    public var wallTime: Double

    public init(step: Int, split: String, loss: Double, accuracy: Double, sampleCount: Int, wallTime: Double) {
        self.step = step
        self.split = split
        self.loss = loss
        self.accuracy = accuracy
        self.sampleCount = sampleCount
        self.wallTime = wallTime
    }
}

/// One row of `snapshots`: a hidden layer's correlation statistics at a step.
public struct SnapshotRow: Sendable, Equatable {
    public var step: Int
    public var layerIndex: Int
    /// How the layer's output became rows: "none", "spatial_mean", "time_pooled", "last_step".
    public var reduction: String
    public var probeSamples: Int
    public var units: Int
    public var deadUnits: Int
    public var nonFiniteUnits: Int
    public var pairCount: Int
    public var meanAbsR: Double?
    public var meanR: Double?
    /// The values of the recorder's ``RunRecorder/statisticColumns``, in that order (nil or non-finite: NULL).
    public var statistics: [Double?]
    /// The histogram of r as `snapshot_histograms.counts` stores it (40 little-endian UInt32), or nil for none.
    public var histogram: Data?

    public init(step: Int, layerIndex: Int, reduction: String = "none", probeSamples: Int, units: Int, deadUnits: Int,
                nonFiniteUnits: Int = 0, pairCount: Int, meanAbsR: Double?, meanR: Double?,
                statistics: [Double?] = [], histogram: Data? = nil) {
        self.statistics = statistics
        self.histogram = histogram
        self.step = step
        self.layerIndex = layerIndex
        self.reduction = reduction
        self.probeSamples = probeSamples
        self.units = units
        self.deadUnits = deadUnits
        self.nonFiniteUnits = nonFiniteUnits
        self.pairCount = pairCount
        self.meanAbsR = meanAbsR
        self.meanR = meanR
    }
}

/// A correlation matrix kept with a snapshot (`tracker run --store-matrices`): the strict upper triangle of R, row by
/// row, as float32 (NaN for pairs with a dead or non-finite unit). See `correlation_matrices` in docs/schema.md.
public struct CorrelationMatrixRow: Sendable, Equatable {
    public var step: Int
    public var layerIndex: Int
    public var reduction: String
    public var units: Int
    /// units · (units − 1) / 2 values: (0,1), (0,2), ..., (0,D−1), (1,2), ...
    public var upperTriangle: [Float]

    public init(step: Int, layerIndex: Int, reduction: String, units: Int, upperTriangle: [Float]) {
        precondition(upperTriangle.count == units * (units - 1) / 2, "the strict upper triangle has D(D−1)/2 values")
        self.step = step
        self.layerIndex = layerIndex
        self.reduction = reduction
        self.units = units
        self.upperTriangle = upperTriangle
    }

    /// The BLOB `correlation_matrices.upper_triangle` holds: the values as little-endian float32.
    public var littleEndianBytes: Data {
        var data = Data(capacity: upperTriangle.count * 4)
        for value in upperTriangle { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }
}
