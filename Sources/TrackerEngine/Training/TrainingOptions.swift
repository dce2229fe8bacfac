// The hyperparameters of a training run: optimiser, schedule, clipping, batch, epochs, seed, initialisation.

/// Optimiser and schedule settings of one run.
public struct TrainingOptions: Codable, Hashable, Sendable {
    /// Base step size (> 0, finite); the schedule scales it per step.
    public var learningRate: Float
    public var optimizer: OptimizerSettings
    public var schedule: LearningRateSchedule
    /// Updates of linear warm-up before the schedule (0 = none).
    public var warmupSteps: Int
    /// Clip the global gradient L2 norm to this value (nil = no clipping).
    public var gradientClipNorm: Double?
    /// Samples per update; the last batch of an epoch may be smaller.
    public var batchSize: Int
    /// Passes over the training set.
    public var epochs: Int
    /// Seeds the initialisation, the per-epoch shuffling and stochastic layers.
    public var seed: UInt64
    public var initialization: InitializationOptions

    public init(learningRate: Float = 0.05, optimizer: OptimizerSettings = OptimizerSettings(),
                schedule: LearningRateSchedule = .constant, warmupSteps: Int = 0, gradientClipNorm: Double? = nil,
                batchSize: Int = 32, epochs: Int = 30, seed: UInt64 = 0,
                initialization: InitializationOptions = InitializationOptions()) {
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.schedule = schedule
        self.warmupSteps = warmupSteps
        self.gradientClipNorm = gradientClipNorm
        self.batchSize = batchSize
        self.epochs = epochs
        self.seed = seed
        self.initialization = initialization
    }

    /// SGD with classic momentum and a constant rate: the options of #2.
    public init(learningRate: Float = 0.05, momentum: Float, batchSize: Int = 32, epochs: Int = 30, seed: UInt64 = 0,
                initialization: Initialization = .he) {
        self.init(learningRate: learningRate, optimizer: OptimizerSettings(kind: .sgd, momentum: momentum),
                  batchSize: batchSize, epochs: epochs, seed: seed,
                  initialization: InitializationOptions(scheme: initialization))
    }

    /// The first problem with these options, or nil: the setting (named by its hyperparameter key, e.g.
    /// "learning_rate") and what is wrong. Every check of a run's training settings lives here (and in
    /// ``Architecture/validate()`` for the network); front ends map the key to their own names.
    public var problem: SettingProblem? {
        if !(learningRate > 0 && learningRate.isFinite) {
            return SettingProblem("learning_rate", "must be positive and finite, got \(learningRate)")
        }
        if let problem = optimizer.problem { return problem }
        if let problem = schedule.problem { return SettingProblem("lr_schedule", problem) }
        if warmupSteps < 0 { return SettingProblem("warmup_steps", "must not be negative, got \(warmupSteps)") }
        if let clip = gradientClipNorm, !(clip > 0 && clip.isFinite) {
            return SettingProblem("gradient_clip_norm", "must be positive, got \(clip)")
        }
        if batchSize < 1 { return SettingProblem("batch_size", "must be at least 1, got \(batchSize)") }
        if epochs < 1 { return SettingProblem("epochs", "must be at least 1, got \(epochs)") }
        if !(initialization.scale > 0 && initialization.scale.isFinite) {
            return SettingProblem("init_scale", "must be positive, got \(initialization.scale)")
        }
        return nil
    }
}

/// A setting that cannot be used: its key (the hyperparameter key it is stored under) and the problem.
public struct SettingProblem: Error, CustomStringConvertible, Sendable, Equatable {
    /// E.g. "learning_rate", "momentum".
    public let setting: String
    /// E.g. "must be positive and finite, got -1.0".
    public let message: String

    public init(_ setting: String, _ message: String) {
        self.setting = setting
        self.message = message
    }

    /// "learning rate must be positive and finite, got -1.0"
    public var description: String { "\(setting.replacingOccurrences(of: "_", with: " ")) \(message)" }
}
