// The training loop: loss + regularisers + optimiser per mini-batch, evaluation, and probe-point activations.
import TrackerNumerics

/// Trains one ``Network`` on one dataset, one mini-batch per ``step()``.
///
/// A step is composed of its parts, each its own type: the forward pass in training mode, the
/// ``SoftmaxCrossEntropyLoss``, any ``Regularizer``s, the backward pass, optional gradient-norm clipping, the
/// ``LearningRateSchedule`` and the ``Optimizer``.
///
/// Determinism: the same architecture, options, data, BLAS thread count and `threads` give bit-identical results on
/// the same machine. Initial weights come from `SeededGenerator(seed: options.seed)`, the per-epoch shuffles from a second
/// generator seeded with `options.seed ^ 0x5348_5546_464C_4531` ("SHUFFLE1"), stochastic layers from
/// (seed, step, layer) (see ``LayerContext/generator()``); every loop sums in a fixed order.
///
/// Memory: every buffer is allocated in `init`; ``step()`` allocates nothing. ``evaluate(_:)`` and
/// ``probeActivations(_:)`` reuse the same buffers in chunks of ``Network/capacity`` samples. Use from one thread.
public final class Trainer {
    /// Samples per chunk (at least) for ``evaluate(_:)`` and ``probeActivations(_:)``.
    public static let evaluationChunkSize = 128

    public let architecture: Architecture
    public let options: TrainingOptions
    public let network: Network
    /// ceil(training.count / batchSize); the last batch of an epoch may be smaller.
    public let stepsPerEpoch: Int
    /// stepsPerEpoch · epochs.
    public let totalSteps: Int
    /// Updates done so far.
    public private(set) var completedSteps = 0

    private let training: Dataset
    private let loss: SoftmaxCrossEntropyLoss
    private let regularizers: [any Regularizer]
    private let penalties: Buffer<Double>           // (regularizers) each term's value in the last step
    private let optimizer: any Optimizer
    private var shuffleGenerator: SeededGenerator
    private let order: Buffer<Int>                  // (training.count) sample indices, reshuffled each epoch
    private let labels: Buffer<Int32>               // (capacity)

    /// Validates options and data against the architecture, builds the network and initialises it, and prepares
    /// each regulariser for the network (``Regularizer/prepare(for:)``). `threads` (1...256) is what the network's
    /// layers split each batch over (see ``Network``); set OpenBLAS to the same count.
    public init(architecture: Architecture, options: TrainingOptions, training: Dataset,
                regularizers: [any Regularizer] = [], threads: Int = 1) throws(TrainingError) {
        if let problem = options.problem { throw TrainingError(problem) }
        do {
            try architecture.validate()
        } catch {
            throw TrainingError(error.description)
        }
        if let problem = Self.shapeProblem(of: training, for: architecture) { throw TrainingError(problem) }
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
            network = try Network(architecture: architecture, capacity: capacity, threads: threads)
        } catch {
            throw TrainingError(error.description)
        }
        self.architecture = architecture
        self.options = options
        self.network = network
        self.stepsPerEpoch = stepsPerEpoch
        self.totalSteps = totalSteps
        self.training = training
        for regularizer in regularizers { try regularizer.prepare(for: network) }
        self.regularizers = regularizers
        penalties = Buffer(count: regularizers.count)
        loss = SoftmaxCrossEntropyLoss(capacity: capacity, classCount: architecture.outputSize)
        var initializationGenerator = SeededGenerator(seed: options.seed)
        network.initialize(options.initialization, generator: &initializationGenerator)
        optimizer = makeOptimizer(options.optimizer, segments: network.parameterSegments)
        shuffleGenerator = SeededGenerator(seed: options.seed ^ 0x5348_5546_464C_4531)
        order = Buffer(count: training.count)
        for index in 0..<training.count { order.base[index] = index }
        labels = Buffer(count: capacity)
    }

    /// Why `data` cannot feed `architecture`, or nil: values per sample and classes must match, and an image
    /// network needs images of exactly its input shape.
    public static func shapeProblem(of data: Dataset, for architecture: Architecture) -> String? {
        if data.sampleShape.count != architecture.inputSize
            || (architecture.inputShape.rank == 3 && data.sampleShape != architecture.inputShape) {
            return "dataset '\(data.name)' has samples of shape \(data.sampleShape) but architecture "
                + "\(architecture.summary) takes \(architecture.inputShape)"
        }
        if data.classCount != architecture.outputSize {
            return "dataset '\(data.name)' has \(data.classCount) classes but architecture \(architecture.summary) "
                + "has \(architecture.outputSize) outputs"
        }
        return nil
    }

    /// The learning rate of the next update.
    public var currentLearningRate: Float {
        Float(options.schedule.rate(base: Double(options.learningRate), step: completedSteps, totalSteps: totalSteps,
                                    warmupSteps: options.warmupSteps))
    }

    /// One mini-batch update. At the start of each epoch the sample order is reshuffled.
    ///
    /// Forward (training mode), loss and accuracy of the batch (before the update), regularisers, backward, gradient
    /// norm (and clipping), then the optimiser at the scheduled rate. Requires completedSteps < totalSteps.
    @discardableResult
    public func step() -> StepResult {
        precondition(completedSteps < totalSteps, "all \(totalSteps) steps are done")
        enterNetworkThreading()
        defer { leaveNetworkThreading() }
        let epoch = completedSteps / stepsPerEpoch
        let position = completedSteps % stepsPerEpoch
        if position == 0 {
            var samples = order.elements
            shuffleGenerator.shuffle(&samples)
        }
        let start = position * options.batchSize
        let batchSize = min(options.batchSize, training.count - start)
        loadBatch(from: training, indices: UnsafeBufferPointer(rebasing: order.elements[start ..< start + batchSize]))

        let context = LayerContext(mode: .training, batchSize: batchSize, seed: options.seed, step: completedSteps)
        network.zeroGradients()
        network.forward(context)
        let (lossSum, correct) = loss.forward(logits: network.logits, labels: labels.base, batchSize: batchSize)
        loss.backward(dLogits: network.dLogits, labels: labels.base, batchSize: batchSize)
        var penalty = 0.0
        for index in 0..<regularizers.count {
            let value = regularizers[index].apply(to: network, context: context)
            penalties.base[index] = value
            penalty += value
        }
        network.backward(context)
        let gradients = network.gradients.baseAddress!
        let gradientNorm = GradientClipping.norm(gradients, segments: network.parameterSegments)
        if let maxNorm = options.gradientClipNorm {
            GradientClipping.clip(gradients, count: network.parameterCount, norm: gradientNorm, maxNorm: maxNorm)
        }
        let learningRate = currentLearningRate
        optimizer.update(parameters: network.parameters.baseAddress!, gradients: gradients, learningRate: learningRate)

        completedSteps += 1
        return StepResult(step: completedSteps, epoch: epoch, loss: Float(lossSum / Double(batchSize)),
                          accuracy: Float(correct) / Float(batchSize), learningRate: learningRate,
                          gradientNorm: gradientNorm, penalty: penalty)
    }

    /// The names of the regularisers, in the order they were given (``Regularizer/name``).
    public var regularizerNames: [String] { regularizers.map(\.name) }

    /// The weighted term regulariser `index` added to the objective in the last ``step()`` (0 before any step).
    public func penalty(ofRegularizer index: Int) -> Double { penalties.base[index] }

    /// Mean softmax cross-entropy and accuracy over every sample of `data` (evaluation mode), in chunks.
    /// `data` must fit the architecture (see ``shapeProblem(of:for:)``). Changes no parameter.
    public func evaluate(_ data: Dataset) -> Evaluation {
        checkShape(of: data)
        var lossSum = 0.0
        var correct = 0
        forEachChunk(of: data) { chunkSize in
            let (chunkLoss, chunkCorrect) = loss.forward(logits: network.logits, labels: labels.base,
                                                         batchSize: chunkSize)
            lossSum += chunkLoss
            correct += chunkCorrect
        }
        let n = data.count
        return Evaluation(loss: n == 0 ? .nan : lossSum / Double(n),
                          accuracy: n == 0 ? .nan : Double(correct) / Double(n), sampleCount: n)
    }

    /// For each probe point and each of its reductions, the (samples, units) matrix of its outputs over every
    /// sample of `probe` (evaluation mode). One forward pass over `probe` in chunks; changes no parameter.
    ///
    /// Reductions: ``ProbeReduction/none`` copies the vector; ``ProbeReduction/spatialMean`` averages each
    /// channel over its H×W positions (in Double); ``ProbeReduction/timePooled`` gives one row per (sample, time
    /// step), sample-major; ``ProbeReduction/lastStep`` keeps the last time step.
    public func probeActivations(_ probe: Dataset) -> [ProbeActivations] {
        checkShape(of: probe)
        let outputs = network.probePoints.flatMap { point in point.reductions.map { (point, $0) } }
        var values: [[Float]] = outputs.map { point, reduction in
            [Float](repeating: 0, count: Self.rows(reduction, shape: point.shape, samples: probe.count) * point.units)
        }
        var done = 0
        forEachChunk(of: probe) { chunkSize in
            for (outputIndex, (point, reduction)) in outputs.enumerated() {
                let source = UnsafePointer(network.output(ofLayer: point.networkLayerIndex).baseAddress!)
                let rowsBefore = Self.rows(reduction, shape: point.shape, samples: done)
                values[outputIndex].withUnsafeMutableBufferPointer { destination in
                    Self.reduce(source, shape: point.shape, reduction: reduction, samples: chunkSize,
                                into: destination.baseAddress! + rowsBefore * point.units)
                }
            }
            done += chunkSize
        }
        return outputs.enumerated().map { outputIndex, output in
            let (point, reduction) = output
            return ProbeActivations(layerIndex: point.layerIndex, name: point.name, reduction: reduction,
                                    samples: Self.rows(reduction, shape: point.shape, samples: probe.count),
                                    units: point.units, values: values[outputIndex])
        }
    }

    /// Rows a reduction gives for `samples` probe samples.
    static func rows(_ reduction: ProbeReduction, shape: Shape, samples: Int) -> Int {
        reduction == .timePooled ? samples * shape.dimensions[0] : samples
    }

    /// Writes `samples` samples of `source` (each of `shape`) reduced to rows of `destination`.
    static func reduce(_ source: UnsafePointer<Float>, shape: Shape, reduction: ProbeReduction, samples: Int,
                       into destination: UnsafeMutablePointer<Float>) {
        switch reduction {
        case .none, .timePooled:
            destination.update(from: source, count: samples * shape.count)
        case .lastStep:
            let (steps, units) = (shape.dimensions[0], shape.dimensions[1])
            for sample in 0..<samples {
                (destination + sample * units).update(from: source + (sample * steps + steps - 1) * units, count: units)
            }
        case .spatialMean:
            let channels = shape.dimensions[0]
            let positions = shape.count / channels
            for sample in 0..<samples {
                for channel in 0..<channels {
                    let plane = source + (sample * channels + channel) * positions
                    var sum = 0.0
                    for position in 0..<positions { sum += Double(plane[position]) }
                    destination[sample * channels + channel] = Float(sum / Double(positions))
                }
            }
        }
    }

    /// A copy of the parameters of network layer `index` (see ``Network/layers``), in its memory layout.
    public func parameters(ofNetworkLayer index: Int) -> [Float] {
        Array(network.parameters[network.parameterRange(ofLayer: index)])
    }

    // MARK: - Threads

    /// When the network splits batches over its own ``Network/workers``, runs OpenBLAS on one thread until
    /// ``leaveNetworkThreading()``. Otherwise the products too small to split and the gradient norm would wake
    /// OpenBLAS's threads, which then spin (yielding) for about 0.1 s beside the workers, taking turns with them on
    /// the same cores: measured on the CNN, a seventh of the samples were in sched_yield.
    private func enterNetworkThreading() {
        if network.workers != nil { BLAS.beginSingleThreaded() }
    }

    /// Ends the span of ``enterNetworkThreading()``.
    private func leaveNetworkThreading() {
        if network.workers != nil { BLAS.endSingleThreaded() }
    }

    // MARK: - Buffers

    private func checkShape(of data: Dataset) {
        if let problem = Self.shapeProblem(of: data, for: architecture) { preconditionFailure(problem) }
    }

    /// Copies the samples `indices` of `data` into the network input and the label buffer.
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

    /// Copies consecutive samples `start ..< start + count` of `data` into the network input and the label buffer.
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

    /// Runs forward (evaluation mode) on `data` chunk by chunk, calling `body(chunkSize)` after each chunk's pass.
    private func forEachChunk(of data: Dataset, _ body: (Int) -> Void) {
        enterNetworkThreading()
        defer { leaveNetworkThreading() }
        var start = 0
        while start < data.count {
            let chunkSize = min(network.capacity, data.count - start)
            loadRows(from: data, start: start, count: chunkSize)
            network.forward(LayerContext(mode: .evaluation, batchSize: chunkSize, seed: options.seed,
                                         step: completedSteps))
            body(chunkSize)
            start += chunkSize
        }
    }
}
