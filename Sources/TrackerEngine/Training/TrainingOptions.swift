// The hyperparameters of a training run.

/// Optimiser and schedule settings of one run.
public struct TrainingOptions: Codable, Hashable, Sendable {
    /// SGD step size (> 0, finite).
    public var learningRate: Float
    /// Classic momentum μ ∈ [0, 1): v = μv + g; w −= lr·v.
    public var momentum: Float
    /// Samples per update; the last batch of an epoch may be smaller.
    public var batchSize: Int
    /// Passes over the training set.
    public var epochs: Int
    /// Seeds the initialisation and the per-epoch shuffling.
    public var seed: UInt64
    /// Weight initialisation scheme (biases start at zero).
    public var initialization: Initialization

    /// Options with the CLI's defaults: lr 0.05, momentum 0.9, batch 32, 30 epochs, seed 0, He initialisation.
    public init(learningRate: Float = 0.05, momentum: Float = 0.9, batchSize: Int = 32, epochs: Int = 30,
                seed: UInt64 = 0, initialization: Initialization = .he) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.batchSize = batchSize
        self.epochs = epochs
        self.seed = seed
        self.initialization = initialization
    }

    private enum CodingKeys: String, CodingKey {
        case learningRate, momentum, batchSize, epochs, seed, initialization
    }

    /// Decodes options; a missing key takes its default, so a stored or hand-written configuration may be partial.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingOptions()
        learningRate = try container.decodeIfPresent(Float.self, forKey: .learningRate) ?? defaults.learningRate
        momentum = try container.decodeIfPresent(Float.self, forKey: .momentum) ?? defaults.momentum
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? defaults.batchSize
        epochs = try container.decodeIfPresent(Int.self, forKey: .epochs) ?? defaults.epochs
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        initialization = try container.decodeIfPresent(Initialization.self, forKey: .initialization)
            ?? defaults.initialization
    }
}
