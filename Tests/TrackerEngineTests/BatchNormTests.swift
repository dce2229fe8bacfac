// Batch norm: gradients in both modes (vectors and images), hand-computed outputs and running statistics, the
// network's state updates, and optimisers leaving state tensors alone.
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite struct BatchNormTests {
    /// Parameters γ, β, running mean, running variance for `channels`: γ around 1, β and the running mean small,
    /// the running variance in [0.5, 1.5].
    func parameters(channels: Int, generator: inout SeededGenerator) -> [Float] {
        uniformFloats(channels, scale: 0.5, generator: &generator).map { $0 + 1 }
            + uniformFloats(2 * channels, scale: 0.5, generator: &generator)
            + uniformFloats(channels, scale: 0.5, generator: &generator).map { $0 + 1 }
    }

    @Test("batch norm backward by central differences", arguments: [
        (Shape.features(3), 4, PassMode.training), (Shape([2, 3, 3]), 2, PassMode.training),
        (Shape.features(3), 4, PassMode.evaluation), (Shape([2, 3, 3]), 2, PassMode.evaluation),
        (Shape.features(2), 2, PassMode.training),
    ])
    func gradient(shape: Shape, batchSize: Int, mode: PassMode) {
        var generator = SeededGenerator(seed: 77)
        let layer = BatchNormLayer(shape: shape)
        let input = uniformFloats(batchSize * shape.count, generator: &generator)
        let coefficients = uniformFloats(batchSize * shape.count, generator: &generator)
        checkLayerGradients(layer, input: input, parameters: parameters(channels: layer.channels, generator: &generator),
                            coefficients: coefficients, batchSize: batchSize, mode: mode)
    }

    @Test("parameter tensors: scale and shift trained without weight decay, running statistics as state")
    func tensors() {
        let layer = BatchNormLayer(shape: Shape([4, 5, 5]))
        #expect(layer.parameterTensors.map(\.name) == ["scale", "shift", "running_mean", "running_variance"])
        #expect(layer.parameterTensors.map(\.role) == [.bias, .bias, .state, .state])
        #expect(layer.parameterTensors.map(\.initializer) == [.constant(1), .zeros, .zeros, .constant(1)])
        #expect(layer.parameterCount == 16)
        #expect(BatchNormLayer(shape: .features(7)).parameterCount == 28)
    }

    @Test("training output by hand: features normalised with the batch mean and biased variance")
    func trainingForwardByHand() {
        // Two features, four samples: feature 0 = 1, 2, 3, 6 (mean 3, variance 14/4); feature 1 = 0, 0, 4, 4
        // (mean 2, variance 4). γ = (2, 1), β = (0.5, −1).
        let layer = BatchNormLayer(shape: .features(2))
        let input: [Float] = [1, 0, 2, 0, 3, 4, 6, 4]
        var cache: [Float] = []
        let output = runForward(layer, input: input, parameters: [2, 1, 0.5, -1, 0, 0, 1, 1], batchSize: 4,
                                cache: &cache)
        let inverse0 = 1 / (3.5 + 1e-5).squareRoot()
        let inverse1 = 1 / (4 + 1e-5).squareRoot()
        let expected = [2 * (1 - 3) * inverse0 + 0.5, (0 - 2) * inverse1 - 1, 2 * (2 - 3) * inverse0 + 0.5,
                        (0 - 2) * inverse1 - 1, 0.5, (4 - 2) * inverse1 - 1, 2 * (6 - 3) * inverse0 + 0.5,
                        (4 - 2) * inverse1 - 1]
        assertClose(output.map(Double.init), expected, absolute: 1e-6, relative: 1e-6)
    }

    @Test("evaluation output by hand: running statistics, whatever the batch")
    func evaluationForwardByHand() {
        let layer = BatchNormLayer(shape: Shape([1, 1, 2]))
        // γ 3, β 1, running mean 0.5, running variance 4: y = 3 (x − 0.5)/√(4 + ε) + 1.
        let parameters: [Float] = [3, 1, 0.5, 4]
        var cache: [Float] = []
        let pair = runForward(layer, input: [1, 2, -1, 0.5], parameters: parameters, batchSize: 2, mode: .evaluation,
                              cache: &cache)
        let single = runForward(layer, input: [-1, 0.5], parameters: parameters, batchSize: 1, mode: .evaluation,
                                cache: &cache)
        let inverse = 1 / (4 + 1e-5).squareRoot()
        assertClose(pair.map(Double.init), [0.5, 1.5, -1.5, 0].map { 3 * inverse * $0 + 1 },
                    absolute: 1e-6, relative: 1e-6)
        #expect(Array(pair[2...]) == single, "a sample's evaluation output does not depend on its batch")
    }

    /// Runs a training forward and the state update on `input`, returning the updated parameters.
    func trainStep(_ layer: BatchNormLayer, _ input: [Float], batchSize: Int, parameters: [Float]) -> [Float] {
        var cache: [Float] = []
        _ = runForward(layer, input: input, parameters: parameters, batchSize: batchSize, cache: &cache)
        var updated = parameters
        layer.updateState(parameters: &updated, cache: cache,
                          context: LayerContext(mode: .training, batchSize: batchSize))
        return updated
    }

    @Test("running statistics move by the momentum-0.1 rule, with the unbiased batch variance")
    func runningStatisticsByHand() {
        let layer = BatchNormLayer(shape: .features(2))
        let input: [Float] = [1, 0, 2, 0, 3, 4, 6, 4]   // means 3 and 2; unbiased variances 14/3 and 16/3
        let start: [Float] = [2, 1, 0.5, -1, 0, 0, 1, 1]
        let once = trainStep(layer, input, batchSize: 4, parameters: start)
        // mean: 0.9 · 0 + 0.1 · 3 = 0.3 and 0.2; variance: 0.9 · 1 + 0.1 · 14/3 and 0.9 + 0.1 · 16/3.
        assertClose(once.map(Double.init), [2, 1, 0.5, -1, 0.3, 0.2, 0.9 + 1.4 / 3, 0.9 + 1.6 / 3],
                    absolute: 1e-6, relative: 1e-6)
        let twice = trainStep(layer, input, batchSize: 4, parameters: once)
        assertClose(twice.map(Double.init), [2, 1, 0.5, -1, 0.57, 0.38, 0.9 * (0.9 + 1.4 / 3) + 1.4 / 3,
                                             0.9 * (0.9 + 1.6 / 3) + 1.6 / 3],
                    absolute: 1e-6, relative: 1e-6)

        // Images: one channel over N×H×W = 2×1×2 values 1, 3, 5, 7 (mean 4, unbiased variance 20/3).
        let image = BatchNormLayer(shape: Shape([1, 1, 2]))
        assertClose(trainStep(image, [1, 3, 5, 7], batchSize: 2, parameters: [1, 0, 0, 1]).map(Double.init),
                    [1, 0, 0.4, 0.9 + 2.0 / 3], absolute: 1e-6, relative: 1e-6)
        // One value per channel: the mean moves, the variance stays.
        assertClose(trainStep(layer, [5, -5], batchSize: 1, parameters: start).map(Double.init),
                    [2, 1, 0.5, -1, 0.5, -0.5, 1, 1], absolute: 1e-6, relative: 1e-6)
        // An evaluation pass changes nothing.
        var unchanged = start
        layer.updateState(parameters: &unchanged, cache: [3, 2, 3.5, 4, 0, 0],
                          context: LayerContext(mode: .evaluation, batchSize: 4))
        #expect(unchanged == start)
    }

    @Test("the network updates running statistics in training passes only; snapshots read them")
    func networkUpdatesState() throws {
        let architecture = try Architecture.parse("dense4-bn-relu", inputShape: .features(3), outputSize: 2)
        #expect(architecture.layers.map(\.kind) == [.dense, .batchnorm, .activation, .dense])
        let network = try Network(architecture: architecture, capacity: 8)
        var generator = SeededGenerator(seed: 3)
        network.initialize(InitializationOptions(), generator: &generator)
        let state = network.parameterSegments.filter { $0.role == .state }
        #expect(state.map(\.name) == ["running_mean", "running_variance"])
        func stateValues() -> [Float] { state.flatMap { Array(network.parameters[$0.range]) } }
        #expect(stateValues() == [0, 0, 0, 0, 1, 1, 1, 1])
        _ = network.input.update(fromContentsOf: uniformFloats(24, generator: &generator))
        network.forward(batchSize: 8)
        #expect(stateValues() == [0, 0, 0, 0, 1, 1, 1, 1], "an evaluation pass leaves the state alone")
        network.forward(LayerContext(mode: .training, batchSize: 8))
        let trained = stateValues()
        #expect(trained != [0, 0, 0, 0, 1, 1, 1, 1])
        // The probe reads the block's post-activation output: the ReLU after the batch norm.
        #expect(network.probePoints.map(\.networkLayerIndex) == [2])
        #expect(network.probePoints.map(\.name) == ["dense1"])
    }

    @Test("optimisers never change state tensors, even with gradients and weight decay on them",
          arguments: [OptimizerKind.sgd, .adam, .adamw])
    func optimisersSkipState(kind: OptimizerKind) {
        let segments = [ParameterSegment(layerIndex: 0, name: "weight", role: .weight, range: 0..<3),
                        ParameterSegment(layerIndex: 1, name: "scale", role: .bias, range: 3..<5),
                        ParameterSegment(layerIndex: 1, name: "running_mean", role: .state, range: 5..<7),
                        ParameterSegment(layerIndex: 1, name: "running_variance", role: .state, range: 7..<9)]
        let optimizer = makeOptimizer(OptimizerSettings(kind: kind, momentum: 0.9, nesterov: kind == .sgd,
                                                        weightDecay: 0.5), segments: segments)
        var parameters: [Float] = [1, -3, 3, 1, 1, 0.25, -0.5, 2, 3]
        let start = parameters
        let gradients: [Float] = [0.5, 0.3, -0.5, 0.25, -0.25, 1, -1, 1, 1]
        for _ in 0..<5 { optimizer.update(parameters: &parameters, gradients: gradients, learningRate: 0.1) }
        #expect(Array(parameters[5...]) == Array(start[5...]), "\(kind) moved a state tensor")
        #expect(zip(parameters[..<5], start[..<5]).allSatisfy { $0 != $1 }, "\(kind) left a trained value alone")
    }

    @Test("a trainer with batch norm and dropout: same seed, same numbers; another seed, other numbers")
    func reproducibleTraining() throws {
        let data = try gaussianBlobs(featureCount: 4, classCount: 3, samplesPerClass: 20)
        let architecture = try Architecture.parse("dense8-bn-relu-dropout0.3-dense6-tanh", inputShape: .features(4),
                                                  outputSize: 3)
        func train(seed: UInt64) throws -> (losses: [Float], parameters: [Float], probe: [Float]) {
            let trainer = try Trainer(architecture: architecture,
                                      options: TrainingOptions(learningRate: 0.05, momentum: 0.9, batchSize: 16,
                                                               epochs: 3, seed: seed),
                                      training: data)
            var losses: [Float] = []
            while trainer.completedSteps < trainer.totalSteps { losses.append(trainer.step().loss) }
            let before = Array(trainer.network.parameters)
            let probe = trainer.probeActivations(data).flatMap(\.values)
            _ = trainer.evaluate(data)
            #expect(Array(trainer.network.parameters) == before, "evaluation passes changed the parameters")
            return (losses, before, probe)
        }
        let first = try train(seed: 4)
        let again = try train(seed: 4)
        let other = try train(seed: 5)
        #expect(first.losses == again.losses)
        #expect(first.parameters == again.parameters)
        #expect(first.probe == again.probe)
        #expect(first.losses != other.losses)
    }
}
