// Finite-difference checks of every backward pass: dense layer × each activation, the loss, and a whole network.
import Testing
import TrackerEngine
import TrackerTestSupport

/// Central differences (f(θ+ε) − f(θ−ε)) / 2ε through the engine's own Float forward passes, ε = 1e-2.
///
/// Tolerances: the objectives are O(1) sums of a few dozen Float terms, so each evaluation carries a rounding
/// error around 1e-6, i.e. ≈ 5e-5 after dividing by 2ε; the truncation error ε²/6 · f‴ is ≈ 2e-5 for these smooth
/// activations. 1e-3 absolute + 1e-2 relative is twenty times that, while a wrong derivative is off by O(0.1–1).
/// ReLU kinks: fixtures are drawn until every pre-activation is at least 0.1 from 0, and no perturbation
/// moves a pre-activation by more than ≈ 0.05, so no kink is crossed.
private let epsilon: Float = 1e-2
private let absoluteTolerance = 1e-3
private let relativeTolerance = 1e-2

@Suite("Gradient checks")
struct GradientCheckTests {
    @Test("dense layer: dWeight, dBias and dInput", arguments: [nil, Activation.relu, .tanh, .sigmoid])
    func denseLayer(activation: Activation?) {
        let (batchSize, inputSize, outputSize) = (3, 4, 5)
        let layer = DenseLayer(inputSize: inputSize, outputSize: outputSize, activation: activation)
        // Draw a fixture whose pre-activations all stay ≥ 0.1 away from the ReLU kink.
        var seed: UInt64 = 100
        var parameters: [Float] = []
        var input: [Float] = []
        var coefficients: [Float] = []
        repeat {
            var generator = SeededGenerator(seed: seed)
            parameters = uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator)
            input = uniformFloats(batchSize * inputSize, generator: &generator)
            coefficients = uniformFloats(batchSize * outputSize, generator: &generator)
            seed += 1
        } while minimumPreactivationMagnitude(layer, parameters, input, batchSize) < 0.1

        // Objective L = Σ c ⊙ layer(x): dOutput = c.
        func objective(_ parameters: [Float], _ input: [Float]) -> Double {
            var output = [Float](repeating: 0, count: batchSize * outputSize)
            layer.forward(output: &output, input: input, parameters: parameters, batchSize: batchSize)
            return zip(output, coefficients).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var output = [Float](repeating: 0, count: batchSize * outputSize)
        layer.forward(output: &output, input: input, parameters: parameters, batchSize: batchSize)
        var dOutput = coefficients
        var dParameters = [Float](repeating: 0, count: layer.parameterCount)
        var dInput = [Float](repeating: 0, count: batchSize * inputSize)
        layer.backward(dInput: &dInput, dParameters: &dParameters, dOutput: &dOutput, output: output, input: input,
                       parameters: parameters, batchSize: batchSize)

        let numericalParameters = centralDifferences(parameters) { objective($0, input) }
        let numericalInput = centralDifferences(input) { objective(parameters, $0) }
        let weightCount = outputSize * inputSize
        assertClose(dParameters[..<weightCount].map(Double.init), Array(numericalParameters[..<weightCount]),
                    absolute: absoluteTolerance, relative: relativeTolerance, "dWeight")
        assertClose(dParameters[weightCount...].map(Double.init), Array(numericalParameters[weightCount...]),
                    absolute: absoluteTolerance, relative: relativeTolerance, "dBias")
        assertClose(dInput.map(Double.init), numericalInput,
                    absolute: absoluteTolerance, relative: relativeTolerance, "dInput")
        #expect(dParameters.contains { $0 != 0 } && dInput.contains { $0 != 0 })
    }

    @Test("dense backward accumulates into gradients and skips a nil dInput")
    func denseAccumulates() {
        let layer = DenseLayer(inputSize: 2, outputSize: 2, activation: nil)
        let parameters: [Float] = [1, 2, 3, 4, 0.5, -0.5]     // W = [1 2; 3 4], b = [0.5, -0.5]
        let input: [Float] = [1, -1]
        var output: [Float] = [0, 0]
        layer.forward(output: &output, input: input, parameters: parameters, batchSize: 1)
        let expected: [Float] = [1 - 2 + 0.5, 3 - 4 - 0.5]
        #expect(output == expected)
        var dParameters: [Float] = [10, 10, 10, 10, 10, 10]
        var dOutput: [Float] = [1, 2]
        layer.backward(dInput: nil, dParameters: &dParameters, dOutput: &dOutput, output: output, input: input,
                       parameters: parameters, batchSize: 1)
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
        var probabilities = [Float](repeating: 0, count: batchSize * classCount)
        var losses = [Float](repeating: 0, count: batchSize)
        SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses, logits: logits, labels: labels,
                                    batchSize: batchSize, classCount: classCount)
        var dLogits = [Float](repeating: 0, count: batchSize * classCount)
        SoftmaxCrossEntropy.backward(dLogits: &dLogits, probabilities: probabilities, labels: labels,
                                     batchSize: batchSize, classCount: classCount)
        assertClose(dLogits.map(Double.init), centralDifferences(logits, meanLoss),
                    absolute: absoluteTolerance, relative: relativeTolerance, "dLogits")
    }

    @Test("whole network: every parameter through every activation and the loss")
    func network() throws {
        let architecture = Architecture(inputSize: 5, layers: [
            LayerSpec(units: 6, activation: .tanh), LayerSpec(units: 4, activation: .sigmoid),
            LayerSpec(units: 5, activation: .relu), LayerSpec(units: 3, activation: nil),
        ])
        let batchSize = 3
        let labels: [Int32] = [2, 0, 1]
        let network = try Network(architecture: architecture, capacity: 4)
        var seed: UInt64 = 300
        var parameters: [Float]
        var input: [Float]
        repeat {
            var generator = SeededGenerator(seed: seed)
            parameters = uniformFloats(network.parameterCount, generator: &generator)
            input = uniformFloats(batchSize * architecture.inputSize, generator: &generator)
            seed += 1
        } while reluMargin(network, parameters, input, batchSize, reluLayer: 2) < 0.1

        /// Forward pass and loss at the network's current parameters: the probabilities and the mean loss.
        func forwardLoss() -> (probabilities: [Float], loss: Double) {
            network.forward(batchSize: batchSize)
            var probabilities = [Float](repeating: 0, count: batchSize * 3)
            var losses = [Float](repeating: 0, count: batchSize)
            SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses,
                                        logits: network.output(ofLayer: 3).baseAddress!, labels: labels,
                                        batchSize: batchSize, classCount: 3)
            return (probabilities, losses.reduce(0) { $0 + Double($1) } / Double(batchSize))
        }
        func meanLoss(_ parameters: [Float]) -> Double {
            load(network, parameters, input)
            return forwardLoss().loss
        }
        let numerical = centralDifferences(parameters, meanLoss)

        load(network, parameters, input)
        network.zeroGradients()
        let probabilities = forwardLoss().probabilities
        SoftmaxCrossEntropy.backward(dLogits: network.dOutput(ofLayer: 3).baseAddress!, probabilities: probabilities,
                                     labels: labels, batchSize: batchSize, classCount: 3)
        network.backward(batchSize: batchSize)
        let analytic = Array(network.gradients).map(Double.init)
        for index in 0..<4 {
            let range = network.parameterRange(ofLayer: index)
            assertClose(Array(analytic[range]), Array(numerical[range]),
                        absolute: absoluteTolerance, relative: relativeTolerance, "layer \(index)")
        }
        // Every layer received some gradient.
        for index in 0..<4 {
            #expect(analytic[network.parameterRange(ofLayer: index)].contains { $0 != 0 })
        }
    }
}

/// Numerical gradient of `f` at `point` by central differences with step ``epsilon``.
private func centralDifferences(_ point: [Float], _ f: ([Float]) -> Double) -> [Double] {
    point.indices.map { index in
        var plus = point
        plus[index] += epsilon
        var minus = point
        minus[index] -= epsilon
        return (f(plus) - f(minus)) / Double(plus[index] - minus[index])
    }
}

/// Smallest |x·Wᵀ + b| over the batch: how far the fixture is from a ReLU kink.
private func minimumPreactivationMagnitude(_ layer: DenseLayer, _ parameters: [Float], _ input: [Float],
                                           _ batchSize: Int) -> Float {
    let linear = DenseLayer(inputSize: layer.inputSize, outputSize: layer.outputSize, activation: nil)
    var output = [Float](repeating: 0, count: batchSize * layer.outputSize)
    linear.forward(output: &output, input: input, parameters: parameters, batchSize: batchSize)
    return output.map(abs).min()!
}

private func load(_ network: Network, _ parameters: [Float], _ input: [Float]) {
    _ = network.parameters.update(fromContentsOf: parameters)
    _ = network.input.update(fromContentsOf: input)
}

/// Smallest |pre-activation| of the ReLU layer `reluLayer` in `network` for this fixture.
private func reluMargin(_ network: Network, _ parameters: [Float], _ input: [Float], _ batchSize: Int,
                        reluLayer: Int) -> Float {
    load(network, parameters, input)
    network.forward(batchSize: batchSize)
    let layer = network.layers[reluLayer]
    let linear = DenseLayer(inputSize: layer.inputSize, outputSize: layer.outputSize, activation: nil)
    var preactivation = [Float](repeating: 0, count: batchSize * layer.outputSize)
    linear.forward(output: &preactivation, input: network.output(ofLayer: reluLayer - 1).baseAddress!,
                   parameters: network.parameters.baseAddress! + network.parameterRange(ofLayer: reluLayer).lowerBound,
                   batchSize: batchSize)
    return preactivation.map(abs).min()!
}
