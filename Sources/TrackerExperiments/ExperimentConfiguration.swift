// Everything that defines one training run, with the defaults of `tracker run`.
import Foundation
import TrackerEngine

/// The settings of one experiment. Values are recorded as the run's hyperparameters exactly as given here
/// (the learning rate as the decimal the user typed, not its Float rounding).
public struct ExperimentConfiguration: Sendable, Equatable {
    public var dataset = "digits"
    /// Hidden layers: comma-separated `UNITS[:ACTIVATION]` (see `Architecture.parse`).
    public var architecture = "128,64"
    public var activation: Activation = .relu
    public var initialization: Initialization = .he
    public var learningRate = 0.05
    public var momentum = 0.9
    public var batchSize = 32
    public var epochs = 20
    public var seed: UInt64 = 0
    /// Regular snapshot interval after the log-spaced early phase.
    public var snapshotEvery = 50
    public var snapshotsPerDecade = 8
    /// Held-out samples; the probe set is the first `probeSamples` of them.
    public var testSamples = 360
    public var probeSamples = 256
    public var name: String?
    public var tags: [String] = []
    /// How the run was started, stored in `runs.command_line`.
    public var commandLine = ""

    public init() {}

}

/// A configuration that cannot run, said in one line.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
