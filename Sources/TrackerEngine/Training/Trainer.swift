// The training loop: mini-batch SGD over a dataset, evaluation, and hidden-activation probes.

/// Trains one ``Network`` on one dataset with momentum SGD, one mini-batch per ``step()``.
///
/// Determinism: the same architecture, options and data give bit-identical results on the same machine. The
/// initial weights come from `SeededGenerator(seed: options.seed)` and the per-epoch shuffles from a second
/// generator seeded with `options.seed ^ 0x5348_5546_464C_4531` ("SHUFFLE1"); every loop sums in a fixed order;
/// OpenBLAS is pinned to one thread (see ``BLAS/useSingleThread()``).
///
/// Memory: every buffer (network, velocity, batch labels, probabilities, per-sample losses, sample order) is
/// allocated in `init`; ``step()`` allocates nothing. ``evaluate(_:)`` and ``hiddenActivations(_:)`` reuse
/// the same buffers in chunks of ``Network/capacity`` rows. Use from one thread at a time.
public final class Trainer {
    /// Rows per chunk (at least) for ``evaluate(_:)`` and ``hiddenActivations(_:)``.
    public static let evaluationChunkSize = 128

    /// The network's description.
    public let architecture: Architecture
    /// The validated hyperparameters.
    public let options: TrainingOptions
    /// The model being trained.
    public let network: Network
    /// ceil(training.count / batchSize); the last batch of an epoch may be smaller.
    public let stepsPerEpoch: Int
    /// stepsPerEpoch · epochs.
    public let totalSteps: Int
    /// Updates done so far.
    public private(set) var completedSteps = 0

    private let training: Dataset
    /// architecture.outputSize, stored: the computed property reads `layers.last`, which allocates in debug builds.
    private let classCount: Int
    private var shuffleGenerator: SeededGenerator
    private let order: Buffer<Int>                  // (training.count) sample indices, reshuffled each epoch
    private let velocity: Buffer<Float>             // (parameterCount) momentum
    private let labels: Buffer<Int32>               // (capacity)
    private let probabilities: Buffer<Float>        // (capacity, classCount)
    private let losses: Buffer<Float>               // (capacity)

    /// Validates options and data against the architecture, builds the network and initialises it.
    public init(architecture: Architecture, options: TrainingOptions, training: Dataset) throws(TrainingError) {
        do {
            try architecture.validate()
        } catch {
            throw TrainingError(error.description)
        }
        guard options.learningRate > 0 && options.learningRate.isFinite else {
            throw TrainingError("learning rate must be positive and finite, got \(options.learningRate)")
        }
        guard options.momentum >= 0 && options.momentum < 1 else {
            throw TrainingError("momentum must be in [0, 1), got \(options.momentum)")
        }
        guard options.batchSize >= 1 else {
            throw TrainingError("batch size must be at least 1, got \(options.batchSize)")
        }
        guard options.epochs >= 1 else {
            throw TrainingError("epochs must be at least 1, got \(options.epochs)")
        }
        guard training.featureCount == architecture.inputSize else {
            throw TrainingError("dataset '\(training.name)' has \(training.featureCount) features but architecture \(architecture.summary) takes \(architecture.inputSize) inputs")
        }
        guard training.classCount == architecture.outputSize else {
            throw TrainingError("dataset '\(training.name)' has \(training.classCount) classes but architecture \(architecture.summary) has \(architecture.outputSize) outputs")
        }
        guard training.count >= 1 else {
            throw TrainingError("dataset '\(training.name)' is empty: nothing to train on")
        }
        let stepsPerEpoch = (training.count + options.batchSize - 1) / options.batchSize
        let (totalSteps, overflow) = stepsPerEpoch.multipliedReportingOverflow(by: options.epochs)
        guard !overflow else {
            throw TrainingError("\(options.epochs) epochs of \(stepsPerEpoch) steps is too many steps")
        }
        let capacity = max(min(options.batchSize, training.count), Self.evaluationChunkSize)
        let network: Network
        do {
            network = try Network(architecture: architecture, capacity: capacity)
        } catch {
            throw TrainingError(error.description)
        }
        self.architecture = architecture
        self.options = options
        self.network = network
        self.stepsPerEpoch = stepsPerEpoch
        self.totalSteps = totalSteps
        self.training = training
        classCount = architecture.outputSize
        var initializationGenerator = SeededGenerator(seed: options.seed)
        network.initialize(options.initialization, generator: &initializationGenerator)
        shuffleGenerator = SeededGenerator(seed: options.seed ^ 0x5348_5546_464C_4531)
        order = Buffer(count: training.count)
        for index in 0..<training.count { order.base[index] = index }
        velocity = Buffer(count: network.parameterCount)
        labels = Buffer(count: capacity)
        probabilities = Buffer(count: capacity * architecture.outputSize)
        losses = Buffer(count: capacity)
    }

    /// One mini-batch momentum-SGD update. At the start of each epoch the sample order is reshuffled.
    ///
    /// Forward, loss and accuracy of the batch (before the update), zeroed gradients, backward, then
    /// ``SGD/update(parameters:velocity:gradients:count:learningRate:momentum:)``. Requires completedSteps < totalSteps.
    @discardableResult
    public func step() -> StepResult {
        precondition(completedSteps < totalSteps, "all \(totalSteps) steps are done")
        let epoch = completedSteps / stepsPerEpoch
        let position = completedSteps % stepsPerEpoch
        if position == 0 {
            var samples = order.elements
            shuffleGenerator.shuffle(&samples)
        }
        let start = position * options.batchSize
        let batchSize = min(options.batchSize, training.count - start)
        loadBatch(from: training, indices: UnsafeBufferPointer(rebasing: order.elements[start ..< start + batchSize]))

        network.zeroGradients()
        network.forward(batchSize: batchSize)
        let (lossSum, correct) = computeLoss(batchSize: batchSize)
        let lastLayer = network.layers.count - 1
        SoftmaxCrossEntropy.backward(dLogits: network.dOutput(ofLayer: lastLayer).baseAddress!,
                                     probabilities: probabilities.base, labels: labels.base,
                                     batchSize: batchSize, classCount: classCount)
        network.backward(batchSize: batchSize)
        SGD.update(parameters: network.parameters.baseAddress!, velocity: velocity.base,
                   gradients: network.gradients.baseAddress!, count: network.parameterCount,
                   learningRate: options.learningRate, momentum: options.momentum)

        completedSteps += 1
        return StepResult(step: completedSteps, epoch: epoch, loss: Float(lossSum / Double(batchSize)),
                          accuracy: Float(correct) / Float(batchSize), learningRate: options.learningRate)
    }

    /// Mean softmax cross-entropy and accuracy over every sample of `data`, in chunks of ``Network/capacity``.
    /// `data` must match the architecture's input and output sizes. Changes no parameter.
    public func evaluate(_ data: Dataset) -> Evaluation {
        checkShape(of: data)
        var lossSum = 0.0
        var correct = 0
        forEachChunk(of: data) { chunkSize in
            let (chunkLoss, chunkCorrect) = computeLoss(batchSize: chunkSize)
            lossSum += chunkLoss
            correct += chunkCorrect
        }
        let n = data.count
        return Evaluation(loss: n == 0 ? .nan : lossSum / Double(n),
                          accuracy: n == 0 ? .nan : Double(correct) / Double(n), sampleCount: n)
    }

    /// For each hidden layer, its post-activation outputs over every sample of `probe`: (samples, units).
    /// One forward pass over `probe` in chunks; changes no parameter.
    public func hiddenActivations(_ probe: Dataset) -> [LayerActivations] {
        checkShape(of: probe)
        let hiddenIndices = architecture.hiddenLayers.indices
        var values = hiddenIndices.map { [Float](repeating: 0, count: probe.count * architecture.layers[$0].units) }
        var done = 0
        forEachChunk(of: probe) { chunkSize in
            for index in hiddenIndices {
                let units = architecture.layers[index].units
                let output = network.output(ofLayer: index)
                values[index].withUnsafeMutableBufferPointer { destination in
                    (destination.baseAddress! + done * units).update(from: output.baseAddress!,
                                                                     count: chunkSize * units)
                }
            }
            done += chunkSize
        }
        return hiddenIndices.map { index in
            LayerActivations(layerIndex: index, name: architecture.layerName(at: index), samples: probe.count,
                             units: architecture.layers[index].units, values: values[index])
        }
    }

    /// A copy of layer `index`'s weight (units, fanIn) and bias (units).
    public func parameters(ofLayer index: Int) -> LayerParameters {
        let range = network.parameterRange(ofLayer: index)
        let inputSize = architecture.inputSize(ofLayer: index)
        let outputSize = architecture.layers[index].units
        let all = network.parameters[range]
        let weightEnd = range.lowerBound + outputSize * inputSize
        return LayerParameters(inputSize: inputSize, outputSize: outputSize,
                               weight: Array(all[range.lowerBound ..< weightEnd]),
                               bias: Array(all[weightEnd ..< range.upperBound]))
    }

    // MARK: - Buffers

    private func checkShape(of data: Dataset) {
        precondition(data.featureCount == architecture.inputSize,
                     "dataset '\(data.name)' has \(data.featureCount) features, architecture takes \(architecture.inputSize)")
        precondition(data.classCount == classCount,
                     "dataset '\(data.name)' has \(data.classCount) classes, architecture has \(classCount) outputs")
    }

    /// Copies the rows `indices` of `data` into the network input and the label buffer.
    private func loadBatch(from data: Dataset, indices: UnsafeBufferPointer<Int>) {
        let featureCount = data.featureCount
        let input = network.input.baseAddress!
        data.features.withUnsafeBufferPointer { features in
            for (row, sample) in indices.enumerated() {
                (input + row * featureCount).update(from: features.baseAddress! + sample * featureCount,
                                                    count: featureCount)
                labels.base[row] = data.labels[sample]
            }
        }
    }

    /// Copies consecutive rows `start ..< start + count` of `data` into the network input and the label buffer.
    private func loadRows(from data: Dataset, start: Int, count: Int) {
        let featureCount = data.featureCount
        data.features.withUnsafeBufferPointer { features in
            network.input.baseAddress!.update(from: features.baseAddress! + start * featureCount,
                                              count: count * featureCount)
        }
        data.labels.withUnsafeBufferPointer { source in
            labels.base.update(from: source.baseAddress! + start, count: count)
        }
    }

    /// Runs forward on `data` chunk by chunk, calling `body(chunkSize)` after each chunk's forward pass.
    private func forEachChunk(of data: Dataset, _ body: (Int) -> Void) {
        var start = 0
        while start < data.count {
            let chunkSize = min(network.capacity, data.count - start)
            loadRows(from: data, start: start, count: chunkSize)
            network.forward(batchSize: chunkSize)
            body(chunkSize)
            start += chunkSize
        }
    }

    /// Softmax cross-entropy of the logits in the network's last output against the loaded labels: fills
    /// `probabilities` and `losses`, returns the summed loss (in Double, in row order) and the correct count.
    private func computeLoss(batchSize: Int) -> (lossSum: Double, correct: Int) {
        let logits = network.output(ofLayer: network.layers.count - 1).baseAddress!
        SoftmaxCrossEntropy.forward(probabilities: probabilities.base, losses: losses.base, logits: logits,
                                    labels: labels.base, batchSize: batchSize, classCount: classCount)
        var lossSum = 0.0
        for row in 0..<batchSize { lossSum += Double(losses.base[row]) }
        let correct = SoftmaxCrossEntropy.correctCount(logits: logits, labels: labels.base,
                                                       batchSize: batchSize, classCount: classCount)
        return (lossSum, correct)
    }
}
