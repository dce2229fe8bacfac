// DeCov: the penalty by hand, its gradient by central differences (alone and through networks of each output kind),
// and the regulariser inside the trainer.
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite struct DeCovTests {
    /// L of a (rows, units) matrix through the kernel.
    func penalty(_ values: [Float], rows: Int, units: Int) -> Double {
        var centered = [Float](repeating: 0, count: rows * units)
        var covariance = [Float](repeating: 0, count: units * units)
        return DeCov.forward(values: values, rows: rows, units: units, centered: &centered, covariance: &covariance)
    }

    /// (L, dValues) with dValues = scale · ∂L/∂H added to `start`.
    func penaltyAndGradient(_ values: [Float], rows: Int, units: Int, scale: Float = 1,
                            start: Float = 0) -> (Double, [Float]) {
        var centered = [Float](repeating: 0, count: rows * units)
        var covariance = [Float](repeating: 0, count: units * units)
        let value = DeCov.forward(values: values, rows: rows, units: units, centered: &centered,
                                  covariance: &covariance)
        var gradient = [Float](repeating: start, count: rows * units)
        DeCov.backward(dValues: &gradient, centered: centered, covariance: &covariance, rows: rows, units: units,
                       scale: scale)
        return (value, gradient)
    }

    @Test("by hand: H = [[1, 2], [3, 0], [2, 4]] has C₁₂ = −2/3, L = 4/9, ∂L/∂H = (2/3) X (C − diag C)")
    func byHand() {
        // μ = (2, 2); X = [[−1, 0], [1, −2], [0, 2]]; C = XᵀX/3 = [[2/3, −2/3], [−2/3, 8/3]];
        // L = ½ · 2 · (2/3)² = 4/9; X·M with M = [[0, −2/3], [−2/3, 0]] = [[0, 2/3], [4/3, −2/3], [−4/3, 0]].
        let (value, gradient) = penaltyAndGradient([1, 2, 3, 0, 2, 4], rows: 3, units: 2, scale: 0.5, start: 1)
        assertClose(value, 4.0 / 9, absolute: 1e-7, relative: 1e-6)
        let expected = [0, 2.0 / 3, 4.0 / 3, -2.0 / 3, -4.0 / 3, 0].map { 1 + 0.5 * (2.0 / 3) * $0 }
        assertClose(gradient.map(Double.init), expected, absolute: 1e-6, relative: 1e-6)
    }

    @Test("edge cases: one row, one unit, and uncorrelated units give 0; a NaN gives NaN")
    func edgeCases() {
        #expect(penalty([1, 2, 3], rows: 1, units: 3) == 0)
        #expect(penalty([1, 2, 3], rows: 3, units: 1) == 0)
        // Units ±1 in all four sign patterns: covariance 0.
        #expect(penalty([1, 1, 1, -1, -1, 1, -1, -1], rows: 4, units: 2) == 0)
        #expect(penalty([1, .nan, 3, 0], rows: 2, units: 2).isNaN)
        // Two identical units of variance v: L = ½ · 2 · v² (here v = 1).
        assertClose(penalty([1, 1, -1, -1], rows: 2, units: 2), 1, absolute: 1e-7)
    }

    @Test("∂L/∂H by central differences", arguments: [(5, 4), (2, 3), (12, 6)])
    func gradient(rows: Int, units: Int) {
        var generator = SeededGenerator(seed: UInt64(rows * 100 + units))
        let values = uniformFloats(rows * units, generator: &generator)
        let (_, analytic) = penaltyAndGradient(values, rows: rows, units: units)
        let numerical = centralDifferences(values) { penalty($0, rows: rows, units: units) }
        assertClose(analytic.map(Double.init), numerical, absolute: gradientAbsoluteTolerance,
                    relative: gradientRelativeTolerance)
        #expect(analytic.contains { $0 != 0 })
    }

    /// Checks every trained parameter's gradient of (task loss, when `withTask`) + λ · DeCov at `layer` against
    /// central differences, through the same calls a training step makes.
    func checkNetwork(_ spec: String, inputShape: Shape, layer: String, weight: Double, withTask: Bool,
                      batchSize: Int = 4, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let architecture = try Architecture.parse(spec, inputShape: inputShape, outputSize: 3)
        let network = try Network(architecture: architecture, capacity: batchSize)
        let regularizer = DeCovRegularizer(layer: layer, weight: weight)
        try regularizer.prepare(for: network)
        var generator = SeededGenerator(seed: 11)
        network.initialize(InitializationOptions(scheme: .glorot), generator: &generator)
        var parameters = Array(network.parameters)
        for segment in network.parameterSegments where segment.role == .bias && segment.name == "bias" {
            for index in segment.range { parameters[index] = Float(0.2 * (2 * generator.nextUniform() - 1)) }
        }
        let input = uniformFloats(batchSize * architecture.inputSize, generator: &generator)
        let labels = (0..<batchSize).map { Int32($0 % 3) }
        let loss = SoftmaxCrossEntropyLoss(capacity: batchSize, classCount: 3)
        let context = LayerContext(mode: .training, batchSize: batchSize, seed: 1)

        func objective(_ values: [Float]) -> Double {
            _ = network.parameters.update(fromContentsOf: values)
            _ = network.input.update(fromContentsOf: input)
            network.zeroGradients()
            network.forward(context)
            let task = loss.forward(logits: network.logits, labels: labels, batchSize: batchSize).lossSum
            return (withTask ? task / Double(batchSize) : 0) + regularizer.apply(to: network, context: context)
        }
        let numerical = centralDifferences(parameters, objective)
        let value = objective(parameters)       // forward, penalty and its gradient for the analytic pass
        #expect(value > 0, sourceLocation: sourceLocation)
        if withTask {
            _ = loss.forward(logits: network.logits, labels: labels, batchSize: batchSize)
            loss.backward(dLogits: network.dLogits, labels: labels, batchSize: batchSize)
        }
        network.backward(context)
        let analytic = Array(network.gradients).map(Double.init)
        for segment in network.parameterSegments where segment.role != .state {
            assertClose(Array(analytic[segment.range]), Array(numerical[segment.range]),
                        absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance,
                        "\(spec): layer \(segment.layerIndex) \(segment.name)", sourceLocation: sourceLocation)
        }
        // The penalty reaches the penalised block's own weights.
        let first = network.parameterSegments[0].range
        #expect(analytic[first].contains { $0 != 0 }, sourceLocation: sourceLocation)
    }

    @Test("end to end: the penalty's gradient flows through the network (vector, image, sequence outputs)")
    func throughNetworks() throws {
        // Penalty alone: every weight below the penalised output gets only DeCov's gradient.
        try checkNetwork("dense6-tanh-dense4-tanh", inputShape: .features(5), layer: "dense1", weight: 1,
                         withTask: false)
        try checkNetwork("dense6-tanh-dense4-tanh", inputShape: .features(5), layer: "dense2", weight: 0.5,
                         withTask: true)
        // Batch norm inside the block: the probe output is after bn-tanh, and the batch statistics are
        // differentiated too.
        try checkNetwork("dense6-bn-tanh-dense4-tanh", inputShape: .features(5), layer: "dense1", weight: 1,
                         withTask: true)
        // Conv: channels as units over each sample's spatial mean.
        try checkNetwork("conv3k3p1-tanh-flatten-dense4-tanh", inputShape: Shape([1, 4, 4]), layer: "conv1",
                         weight: 1, withTask: false)
        try checkNetwork("conv3k3p1-bn-tanh-gap", inputShape: Shape([2, 4, 4]), layer: "conv1", weight: 1,
                         withTask: true)
        // Recurrent: time-pooled, every (sample, time step) a row.
        try checkNetwork("rnn4", inputShape: Shape([3, 2]), layer: "rnn1", weight: 1, withTask: false)
        try checkNetwork("gru3", inputShape: Shape([3, 2]), layer: "gru1", weight: 0.5, withTask: true, batchSize: 3)
    }

    @Test("in the trainer: named terms, values in the step result, prepare errors name the layer")
    func inTheTrainer() throws {
        let data = try gaussianBlobs(featureCount: 4, classCount: 3, samplesPerClass: 20)
        let architecture = try Architecture.parse("dense8-relu-dense6-tanh", inputShape: .features(4), outputSize: 3)
        let options = TrainingOptions(learningRate: 0.05, momentum: 0.9, batchSize: 16, epochs: 1, seed: 2)
        let trainer = try Trainer(architecture: architecture, options: options, training: data,
                                  regularizers: [DeCovRegularizer(layer: "dense1", weight: 0.1),
                                                 DeCovRegularizer(layer: "dense2", weight: 2)])
        #expect(trainer.regularizerNames == ["decov_dense1", "decov_dense2"])
        let result = trainer.step()
        let terms = [trainer.penalty(ofRegularizer: 0), trainer.penalty(ofRegularizer: 1)]
        #expect(terms.allSatisfy { $0 > 0 })
        assertClose(result.penalty, terms[0] + terms[1], absolute: 0, relative: 1e-15)

        // Without the penalty the step's task loss is the same (it is measured before the update).
        let plain = try Trainer(architecture: architecture, options: options, training: data)
        #expect(plain.step().loss == result.loss)

        do {
            _ = try Trainer(architecture: architecture, options: options, training: data,
                            regularizers: [DeCovRegularizer(layer: "dense7", weight: 0.1)])
            Issue.record("a DeCov term on a missing layer was accepted")
        } catch {
            #expect(error.setting == "decov")
            #expect(error.description == "no hidden layer named 'dense7' for DeCov (layers: dense1, dense2)")
        }
    }
}
