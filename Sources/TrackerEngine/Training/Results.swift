// What training reports: per-step results, evaluations, hidden activations, parameters, and training errors.

/// The outcome of one ``Trainer/step()``.
public struct StepResult: Sendable, Hashable {
    /// Updates done after this call (1-based).
    public let step: Int
    /// 0-based epoch of this batch.
    public let epoch: Int
    /// Mean softmax cross-entropy of this mini-batch before the update (may be NaN or infinite if training diverged).
    public let loss: Float
    /// Fraction of this mini-batch classified correctly before the update.
    public let accuracy: Float
    /// Learning rate used for this update.
    public let learningRate: Float

    /// Memberwise.
    public init(step: Int, epoch: Int, loss: Float, accuracy: Float, learningRate: Float) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.learningRate = learningRate
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

/// One hidden layer's post-activation outputs over a probe set.
public struct LayerActivations: Sendable {
    /// Index into ``Architecture/layers``.
    public let layerIndex: Int
    /// ``Architecture/layerName(at:)``, e.g. "dense1".
    public let name: String
    /// Rows of ``values``: the probe set's sample count.
    public let samples: Int
    /// Columns of ``values``: the layer's width.
    public let units: Int
    /// Row-major (samples, units).
    public let values: [Float]

    /// Memberwise.
    public init(layerIndex: Int, name: String, samples: Int, units: Int, values: [Float]) {
        self.layerIndex = layerIndex
        self.name = name
        self.samples = samples
        self.units = units
        self.values = values
    }
}

/// A copy of one dense layer's parameters.
public struct LayerParameters: Sendable, Hashable {
    /// Fan-in of the layer.
    public let inputSize: Int
    /// Units of the layer.
    public let outputSize: Int
    /// Row-major (outputSize, inputSize).
    public let weight: [Float]
    /// (outputSize)
    public let bias: [Float]

    /// Memberwise.
    public init(inputSize: Int, outputSize: Int, weight: [Float], bias: [Float]) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.weight = weight
        self.bias = bias
    }
}

/// Options, architecture and data that cannot be trained together, with one line saying why.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    /// The message, one line.
    public let description: String

    /// An error with this one-line message.
    public init(_ description: String) {
        self.description = description
    }
}
