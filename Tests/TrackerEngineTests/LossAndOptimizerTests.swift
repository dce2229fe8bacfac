// Forward values of activations and the loss, arg-max accuracy, initialisation statistics, and the momentum update.
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite("Activations and loss")
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
}
