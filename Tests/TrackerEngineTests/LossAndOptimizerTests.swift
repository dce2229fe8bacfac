// Forward values of activations and the loss, arg-max accuracy, initialisation statistics, and the momentum update.
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite("Activations, loss, initialisation, SGD")
struct LossAndOptimizerTests {
    @Test("activations compute their functions and stay finite at extremes")
    func activations() {
        let inputs: [Float] = [-100, -1, 0, 0.5, 100]
        for activation in Activation.allCases {
            var output = inputs
            activation.forward(output: &output, input: output, count: inputs.count)   // in place
            for (x, y) in zip(inputs, output) {
                assertClose(Double(y), naiveActivation(activation, Double(x)), absolute: 1e-6, relative: 1e-6,
                            "\(activation)(\(x))")
                #expect(y == activation(x))
            }
        }
    }

    @Test("loss: uniform logits give ln C; large logits stay finite")
    func lossValues() {
        var probabilities = [Float](repeating: 0, count: 6)
        var losses: [Float] = [0, 0]
        // Row 0: uniform over 3 classes. Row 1: logits (1000, 0, −1000) — naive exp would overflow.
        SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses, logits: [0, 0, 0, 1000, 0, -1000],
                                    labels: [1, 1], batchSize: 2, classCount: 3)
        assertClose(Double(losses[0]), naturalLog(3), absolute: 1e-6, relative: 1e-6)
        #expect(losses[1] == 1000)
        assertClose(probabilities.map(Double.init), [1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 0, 0], absolute: 1e-6, relative: 0)
    }

    @Test("loss: NaN logits give NaN, without trapping")
    func lossNaN() {
        var probabilities = [Float](repeating: 0, count: 2)
        var losses: [Float] = [0]
        SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses, logits: [.nan, 1],
                                    labels: [0], batchSize: 1, classCount: 2)
        #expect(losses[0].isNaN)
        #expect(SoftmaxCrossEntropy.correctCount(logits: [.nan, 1], labels: [1], batchSize: 1, classCount: 2) == 1)
    }

    @Test("accuracy counts arg-max hits, first index on ties")
    func correctCount() {
        let logits: [Float] = [0.1, 0.9, 0.0,    // → 1
                               2.0, 2.0, 1.0,    // tie → 0
                               -1, -3, -2]       // → 0
        #expect(SoftmaxCrossEntropy.correctCount(logits: logits, labels: [1, 0, 2], batchSize: 3, classCount: 3) == 2)
    }

    @Test("momentum SGD matches a hand-computed two-step example")
    func momentum() {
        // lr 0.1, μ 0.9, w₀ = (1, −2).
        // Step 1, g = (0.5, 1):   v = (0.5, 1);                       w = (0.95, −2.1)
        // Step 2, g = (−1, 0.5):  v = 0.9·(0.5, 1) + g = (−0.55, 1.4); w = (0.95 + 0.055, −2.1 − 0.14) = (1.005, −2.24)
        var parameters: [Float] = [1, -2]
        var velocity: [Float] = [0, 0]
        SGD.update(parameters: &parameters, velocity: &velocity, gradients: [0.5, 1], count: 2,
                   learningRate: 0.1, momentum: 0.9)
        assertClose(parameters.map(Double.init), [0.95, -2.1], absolute: 1e-6, relative: 0)
        SGD.update(parameters: &parameters, velocity: &velocity, gradients: [-1, 0.5], count: 2,
                   learningRate: 0.1, momentum: 0.9)
        assertClose(velocity.map(Double.init), [-0.55, 1.4], absolute: 1e-6, relative: 0)
        assertClose(parameters.map(Double.init), [1.005, -2.24], absolute: 1e-6, relative: 0)
    }

    @Test("He and Glorot draw weights with the right spread; biases start at zero")
    func initialization() {
        let layer = DenseLayer(inputSize: 400, outputSize: 100, activation: .relu)
        let weightCount = 400 * 100
        for initialization in Initialization.allCases {
            var generator = SeededGenerator(seed: 4)
            var parameters = [Float](repeating: 1, count: layer.parameterCount)
            parameters.withUnsafeMutableBufferPointer {
                layer.initialize(parameters: $0, initialization: initialization, generator: &generator)
            }
            let weights = parameters[..<weightCount].map(Double.init)
            let mean = weights.reduce(0, +) / Double(weightCount)
            let variance = weights.reduce(0) { $0 + $1 * $1 } / Double(weightCount)
            // He: var 2/400; Glorot: a = √(6/500), var a²/3. The variance estimate over 40 000 draws has a relative
            // standard error ≤ √(2/40000) ≈ 0.7%, so 4% is a safe bound; the mean's σ is ≤ 3.5e-4.
            let expectedVariance = initialization == .he ? 2.0 / 400 : (6.0 / 500) / 3
            assertClose(variance, expectedVariance, absolute: 0, relative: 0.04, "\(initialization)")
            assertClose(mean, 0, absolute: 1.5e-3, relative: 0, "\(initialization)")
            #expect(parameters[weightCount...].allSatisfy { $0 == 0 })
            if initialization == .glorot {
                let limit = (6.0 / 500).squareRoot()
                #expect(weights.allSatisfy { abs($0) <= limit })
            }
        }
    }
}
