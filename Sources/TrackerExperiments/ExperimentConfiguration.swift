// Everything that defines one training run, with the defaults of `tracker run`.
import Foundation
import TrackerAnalysis
import TrackerDatasets
import TrackerEngine

/// The settings of one experiment. Values are recorded as the run's hyperparameters exactly as given here
/// (the learning rate as the decimal the user typed, not its Float rounding).
public struct ExperimentConfiguration: Sendable, Equatable {
    /// A bundled data set's name, `synthetic:KIND[,KEY=VALUE...]`, or a data file or directory (see `DataSource`).
    public var dataset = "digits"
    /// The format of a data file; nil = told by the file.
    public var dataFormat: DataFileFormat?
    /// The labels file of a `.npy` features file; nil = the `y` file beside it.
    public var labelsPath: String?
    /// A CSV file's label column: `last`, `first`, a 1-based number or a header name.
    public var labelColumn = "last"
    public var csvHeader: CSVHeader = .auto
    /// A sample shape (`1x28x28`) replacing the data's own, e.g. to read CSV rows as images; nil = the data's.
    public var sampleShape: String?
    /// The layers: the layer grammar (`conv16k5p2-relu-maxpool2-flatten-dense128-relu`, `lstm128`) or the comma
    /// form `UNITS[:ACTIVATION]` (see `Architecture.parse`).
    public var architecture = "128,64"
    /// Names of the layers to snapshot; nil = every hidden dense, conv and recurrent layer.
    public var probes: [String]?
    /// Activation of comma-form layers that do not name one.
    public var activation: Activation = .relu
    public var initialization: Initialization = .he
    public var recurrentInitialization: RecurrentInitialization = .orthogonal
    public var initializationScale = 1.0
    public var optimizer: OptimizerKind = .sgd
    public var learningRate = 0.05
    public var momentum = 0.9
    public var nesterov = false
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var weightDecay = 0.0
    public var schedule: LearningRateSchedule = .constant
    public var warmupSteps = 0
    public var gradientClipNorm: Double?
    /// DeCov weight λ (0 = off): every training step adds λ · DeCov of each of `decovLayers`' block outputs to the
    /// loss (see `DeCovRegularizer`).
    public var decov = 0.0
    /// The layers DeCov penalises, by name; empty = every probed layer.
    public var decovLayers: [String] = []
    public var batchSize = 32
    public var epochs = 20
    public var seed: UInt64 = 0
    /// Threads for OpenBLAS and for the layers' batch splitting (``Trainer``'s `threads`); results are
    /// bit-identical for a fixed count. Default: every core.
    public var blasThreads = ProcessInfo.processInfo.activeProcessorCount
    /// Regular snapshot interval after the log-spaced early phase.
    public var snapshotEvery = 50
    public var snapshotsPerDecade = 8
    /// Held-out samples; nil = the data set's default (360 for digits, 1000 for mnist-5k). The probe set is the
    /// first `probeSamples` of them.
    public var testSamples: Int?
    public var probeSamples = 256
    /// Train on the training labels permuted by a permutation drawn from the seed (a control: the network can only
    /// memorise). Test and probe labels stay true, so test accuracy measures what generalises: chance.
    public var shuffleLabels = false
    /// The statistics each snapshot records (see `SnapshotStatistic.all`): the default set, all, or a list.
    public var statistics: StatisticSelection = .standard
    /// Keep the correlation matrix of every probe point at every `storeMatrices`-th snapshot (0 = never), counting
    /// from the snapshot at step 0.
    public var storeMatrices = 0
    public var name: String?
    public var tags: [String] = []
    /// How the run was started, stored in `runs.command_line`.
    public var commandLine = ""

    public init() {}
}

/// A configuration that cannot run, said in one line; `setting` names the setting at fault by its hyperparameter
/// key (e.g. "learning_rate", "architecture", "dataset") so a front end can name its own flag.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public let setting: String?

    public init(_ description: String, setting: String? = nil) {
        self.description = description
        self.setting = setting
    }
}
