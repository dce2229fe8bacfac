// Finite-difference checks of every backward pass: dense, each activation, flatten, last step, the loss, a network.
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite("Gradient checks")
struct GradientCheckTests {
    @Test("dense layer: dWeight, dBias and dInput")
    func denseLayer() {
        let (batchSize, inputSize, outputSize) = (3, 4, 5)
        let layer = DenseLayer(inputSize: inputSize, outputSize: outputSize)
        var generator = SeededGenerator(seed: 100)
        checkLayerGradients(layer, input: uniformFloats(batchSize * inputSize, generator: &generator),
                            parameters: uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator),
                            coefficients: uniformFloats(batchSize * outputSize, generator: &generator),
                            batchSize: batchSize)
    }

    @Test("dense layer reads any input shape as a vector")
    func denseOnImages() {
        let layer = DenseLayer(inputShape: Shape([2, 2, 3]), outputSize: 4)
        #expect(layer.inputSize == 12 && layer.outputShape == Shape([4]))
        var generator = SeededGenerator(seed: 101)
        checkLayerGradients(layer, input: uniformFloats(2 * 12, generator: &generator),
                            parameters: uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator),
                            coefficients: uniformFloats(2 * 4, generator: &generator), batchSize: 2)
    }

    @Test("activation layers", arguments: Activation.allCases)
    func activationLayer(activation: Activation) {
        let layer = ActivationLayer(activation, shape: Shape([2, 3]))
        var generator = SeededGenerator(seed: 102)
        // Inputs at least 0.1 from 0, so no perturbation of ±0.01 crosses the ReLU kinks.
        let input = uniformFloats(4 * 6, scale: 2, generator: &generator).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        checkLayerGradients(layer, input: input, parameters: [],
                            coefficients: uniformFloats(4 * 6, generator: &generator), batchSize: 4)
    }

    @Test("flatten and last time step route gradients to their inputs")
    func reshapeLayers() {
        var generator = SeededGenerator(seed: 103)
        let flatten = FlattenLayer(inputShape: Shape([2, 3, 2]))
        checkLayerGradients(flatten, input: uniformFloats(3 * 12, generator: &generator), parameters: [],
                            coefficients: uniformFloats(3 * 12, generator: &generator), batchSize: 3)
        let last = LastTimeStepLayer(inputShape: Shape([4, 3]))
        let input = uniformFloats(2 * 12, generator: &generator)
        checkLayerGradients(last, input: input, parameters: [],
                            coefficients: uniformFloats(2 * 3, generator: &generator), batchSize: 2)
        var cache: [Float] = []
        let output = runForward(last, input: input, parameters: [], batchSize: 2, cache: &cache)
        #expect(output == Array(input[9..<12]) + Array(input[21..<24]))
    }

    @Test("dense backward accumulates into gradients and skips a nil dInput")
    func denseAccumulates() {
        let layer = DenseLayer(inputSize: 2, outputSize: 2)
        let parameters: [Float] = [1, 2, 3, 4, 0.5, -0.5]     // W = [1 2; 3 4], b = [0.5, −0.5]
        let input: [Float] = [1, -1]
        var cache: [Float] = []
        let output = runForward(layer, input: input, parameters: parameters, batchSize: 1, cache: &cache)
        let expected: [Float] = [1 - 2 + 0.5, 3 - 4 - 0.5]
        #expect(output == expected)
        var dParameters: [Float] = [10, 10, 10, 10, 10, 10]
        var dOutput: [Float] = [1, 2]
        var scratch: [Float] = [0]
        layer.backward(dInput: nil, dParameters: &dParameters, dOutput: &dOutput, output: output, input: input,
                       parameters: parameters, cache: &cache, scratch: &scratch,
                       context: LayerContext(mode: .training, batchSize: 1))
        // dW = dOutputᵀ · x = [1 −1; 2 −2], db = [1, 2], each added to 10.
        #expect(dParameters == [11, 9, 12, 8, 11, 12])
    }

    @Test("softmax cross-entropy: dLogits")
    func loss() {
        let (batchSize, classCount) = (3, 4)
        var generator = SeededGenerator(seed: 21)
        let logits = uniformFloats(batchSize * classCount, scale: 2, generator: &generator)
        let labels: [Int32] = [0, 3, 1]
        func meanLoss(_ logits: [Float]) -> Double {
            var probabilities = [Float](repeating: 0, count: batchSize * classCount)
            var losses = [Float](repeating: 0, count: batchSize)
            SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses, logits: logits,
                                        labels: labels, batchSize: batchSize, classCount: classCount)
            return losses.reduce(0) { $0 + Double($1) } / Double(batchSize)
        }
        let loss = SoftmaxCrossEntropyLoss(capacity: batchSize, classCount: classCount)
        let (lossSum, _) = loss.forward(logits: logits, labels: labels, batchSize: batchSize)
        assertClose(lossSum / Double(batchSize), meanLoss(logits), absolute: 1e-12, relative: 0)
        var dLogits = [Float](repeating: 0, count: batchSize * classCount)
        loss.backward(dLogits: &dLogits, labels: labels, batchSize: batchSize)
        assertClose(dLogits.map(Double.init), centralDifferences(logits, meanLoss),
                    absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance, "dLogits")
    }

    @Test("whole network: every parameter through every activation and the loss")
    func network() throws {
        let architecture = Architecture(inputSize: 5, layers: [
            .dense(6, .tanh), .dense(4, .sigmoid), .dense(5, .gelu), .dense(4, .leakyrelu), .dense(3),
        ])
        let batchSize = 3
        let labels: [Int32] = [2, 0, 1]
        let network = try Network(architecture: architecture, capacity: 4)
        #expect(network.layers.count == 9)          // four dense + activation pairs, then the output layer
        var generator = SeededGenerator(seed: 300)
        let parameters = uniformFloats(network.parameterCount, generator: &generator)
        let input = uniformFloats(batchSize * architecture.inputSize, generator: &generator)
        let loss = SoftmaxCrossEntropyLoss(capacity: 4, classCount: 3)
        let context = LayerContext(mode: .training, batchSize: batchSize)

        func meanLoss(_ parameters: [Float]) -> Double {
            load(network, parameters, input)
            network.forward(context)
            return loss.forward(logits: network.logits, labels: labels, batchSize: batchSize).lossSum / Double(batchSize)
        }
        let numerical = centralDifferences(parameters, meanLoss)
        load(network, parameters, input)
        network.zeroGradients()
        network.forward(context)
        _ = loss.forward(logits: network.logits, labels: labels, batchSize: batchSize)
        loss.backward(dLogits: network.dLogits, labels: labels, batchSize: batchSize)
        network.backward(context)
        let analytic = Array(network.gradients).map(Double.init)
        for segment in network.parameterSegments {
            assertClose(Array(analytic[segment.range]), Array(numerical[segment.range]),
                        absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance,
                        "layer \(segment.layerIndex) \(segment.name)")
            #expect(analytic[segment.range].contains { $0 != 0 }, "layer \(segment.layerIndex) got no gradient")
        }
    }
}

private func load(_ network: Network, _ parameters: [Float], _ input: [Float]) {
    _ = network.parameters.update(fromContentsOf: parameters)
    _ = network.input.update(fromContentsOf: input)
}
