// What training reports: per-step results, evaluations, hidden activations, parameters, and training errors.

/// The outcome of one ``Trainer/step()``.
public struct StepResult: Sendable, Hashable {
    /// Updates done after this call (1-based).
    public let step: Int
    /// 0-based epoch of this batch.
    public let epoch: Int
    /// Mean softmax cross-entropy of this mini-batch before the update: the task loss, without ``penalty`` (may be
    /// NaN or infinite if training diverged). The step minimised loss + penalty.
    public let loss: Float
    /// Fraction of this mini-batch classified correctly before the update.
    public let accuracy: Float
    /// Learning rate used for this update.
    public let learningRate: Float
    /// L2 norm of the trained gradients before clipping.
    public let gradientNorm: Double
    /// Sum of the regularisers' weighted terms (0 without regularisers); each one is
    /// ``Trainer/penalty(ofRegularizer:)``.
    public let penalty: Double

    /// Memberwise.
    public init(step: Int, epoch: Int, loss: Float, accuracy: Float, learningRate: Float, gradientNorm: Double = 0,
                penalty: Double = 0) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.penalty = penalty
    }
}

/// Mean loss and accuracy over a whole dataset.
public struct Evaluation: Sendable, Hashable {
    /// Mean softmax cross-entropy; NaN for an empty dataset.
    public let loss: Double
    /// Fraction of samples whose arg-max logit is the label; NaN for an empty dataset.
    public let accuracy: Double
    /// Samples evaluated.
    public let sampleCount: Int

    /// Memberwise.
    public init(loss: Double, accuracy: Double, sampleCount: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.sampleCount = sampleCount
    }
}

/// One probe point's outputs over a probe set, reduced to a (samples, units) matrix.
public struct ProbeActivations: Sendable {
    /// Index into ``Architecture/layers``.
    public let layerIndex: Int
    /// ``Architecture/layerName(at:)``, e.g. "dense1", "conv2", "lstm1".
    public let name: String
    /// How the output was reduced to rows.
    public let reduction: ProbeReduction
    /// Rows of ``values``: probe samples, or probe sequences × time steps for ``ProbeReduction/timePooled``.
    public let samples: Int
    /// Columns of ``values``: units, channels or hidden units.
    public let units: Int
    /// Row-major (samples, units).
    public let values: [Float]

    public init(layerIndex: Int, name: String, reduction: ProbeReduction, samples: Int, units: Int, values: [Float]) {
        self.layerIndex = layerIndex
        self.name = name
        self.reduction = reduction
        self.samples = samples
        self.units = units
        self.values = values
    }
}

/// Options, architecture and data that cannot be trained together, with one line saying why.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    /// The message, one line.
    public let description: String
    /// The setting at fault (its hyperparameter key), when one is.
    public let setting: String?

    /// An error with this one-line message.
    public init(_ description: String, setting: String? = nil) {
        self.description = description
        self.setting = setting
    }

    /// The error of a setting's problem.
    public init(_ problem: SettingProblem) {
        self.init(problem.description, setting: problem.setting)
    }
}
