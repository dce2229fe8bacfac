// Recurrent layers: forward against a naive Double reference and hand-computed steps, BPTT against central
// differences, the fast σ/tanh, and the initialisation of the recurrent tensors.
import Testing
@testable import TrackerEngine
import TrackerTestSupport

// Gradient checks use the shared helpers of LayerGradientCheck.swift (ε = 1e-2, 1e-3 absolute + 1e-2 relative).
// Measured on these fixtures: every analytic gradient within 1e-4 of the numerical one, gradients up to 3.

/// Which outputs the gradient-check objective reads.
enum Readout: String, CaseIterable, Sendable {
    /// Σ c ⊙ h_t over every step: gradients arrive at each step and flow back through h and c.
    case allSteps
    /// Σ c ⊙ h_T only: every earlier step is reached through the recurrence alone.
    case lastStep
}

@Suite("Recurrent layers")
struct RecurrentTests {
    @Test("forward matches a naive Double reference of the PyTorch equations", arguments: RecurrentCell.allCases)
    func forwardMatchesReference(cell: RecurrentCell) {
        let (batchSize, steps, features, hidden) = (3, 6, 3, 5)
        let layer = RecurrentLayer(cell: cell, inputShape: Shape([steps, features]), hiddenSize: hidden)
        var generator = SeededGenerator(seed: 11)
        // Weights up to ±1 and inputs up to ±2 drive some gates near saturation.
        let parameters = uniformFloats(layer.parameterCount, generator: &generator)
        let input = uniformFloats(batchSize * steps * features, scale: 2, generator: &generator)
        let output = recurrentForward(layer, parameters: parameters, input: input, batchSize: batchSize).output
        let expected = naiveRecurrent(cell, parameters: parameters, input: input, batchSize: batchSize,
                                      steps: steps, features: features, hidden: hidden)
        // Float rounding and the 4e-7 σ/tanh approximations over 6 steps.
        assertClose(output.map(Double.init), expected, absolute: 2e-6, relative: 0, "\(cell) output")
        #expect(output.allSatisfy { $0.isFinite && abs($0) < 1 })
    }

    @Test("one step by hand: H = 1, F = 1, h₀ = 0")
    func oneStepByHand() {
        let shape = Shape([1, 1])
        // RNN: W_ih = 0.5, W_hh = −0.5, b = 0.25; x₁ = 1: h₁ = tanh(0.75) = 0.635148952387.
        // A second step x₂ = −1: h₂ = tanh(−0.5 − 0.5·h₁ + 0.25) = tanh(−0.567574476194) = −0.513575735687.
        let rnn = RecurrentLayer(cell: .rnn, inputShape: Shape([2, 1]), hiddenSize: 1)
        let rnnOutput = recurrentForward(rnn, parameters: [0.5, -0.5, 0.25], input: [1, -1], batchSize: 1).output
        assertClose(rnnOutput.map(Double.init), [0.635148952387, -0.513575735687], absolute: 1e-6, relative: 0, "rnn")

        // LSTM: W_ih = (0.5, −1, 1, 2) for (i, f, g, o), W_hh = 9 (unused: h₀ = 0), b = (0.5, 1, −0.5, 0); x = 1.
        // a = (1, 0, 0.5, 2): i = σ(1) = 0.731058578630, g = tanh(0.5) = 0.462117157260, o = σ(2) = 0.880797077978;
        // c = i·g (c₀ = 0) = 0.337834712147, h = o·tanh(c) = 0.880797077978 · 0.325542946891 = 0.286737276378.
        let lstm = RecurrentLayer(cell: .lstm, inputShape: shape, hiddenSize: 1)
        let lstmParameters: [Float] = [0.5, -1, 1, 2, 9, 9, 9, 9, 0.5, 1, -0.5, 0]
        let lstmRun = recurrentForward(lstm, parameters: lstmParameters, input: [1], batchSize: 1)
        assertClose(Double(lstmRun.output[0]), 0.286737276378, absolute: 1e-6, relative: 0, "lstm h")
        // The cache holds the activated gates (i, f, g, o), then c and tanh c.
        assertClose(lstmRun.cache.map(Double.init),
                    [0.731058578630, 0.5, 0.462117157260, 0.880797077978, 0.337834712147, 0.325542946891],
                    absolute: 1e-6, relative: 0, "lstm cache")

        // GRU: W_ih = (1, −1, 0.5) for (r, z, n), W_hh = 9 (unused), b_ih = (0, 0.5, 0.25), b_hh = (0.5, 0, −1); x = 1.
        // r = σ(1 + 0.5) = 0.817574476194, z = σ(−1 + 0.5) = 0.377540668798, W_hn h + b_hn = −1,
        // n = tanh(0.5 + 0.25 + r·(−1)) = tanh(−0.067574476194) = −0.067471808383, h = (1 − z)·n = −0.041998456721.
        let gru = RecurrentLayer(cell: .gru, inputShape: shape, hiddenSize: 1)
        let gruParameters: [Float] = [1, -1, 0.5, 9, 9, 9, 0, 0.5, 0.25, 0.5, 0, -1]
        let gruRun = recurrentForward(gru, parameters: gruParameters, input: [1], batchSize: 1)
        assertClose(Double(gruRun.output[0]), -0.041998456721, absolute: 1e-6, relative: 0, "gru h")
        assertClose(gruRun.cache.map(Double.init), [0.817574476194, 0.377540668798, -0.067471808383, -1],
                    absolute: 1e-6, relative: 0, "gru cache")
    }

    @Test("back-propagation through time matches central differences",
          arguments: RecurrentCell.allCases, Readout.allCases)
    func gradients(cell: RecurrentCell, readout: Readout) {
        let (batchSize, steps, features, hidden) = (2, 4, 3, 5)
        let layer = RecurrentLayer(cell: cell, inputShape: Shape([steps, features]), hiddenSize: hidden)
        var generator = SeededGenerator(seed: 23)
        let parameters = uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator)
        let input = uniformFloats(batchSize * steps * features, generator: &generator)
        var coefficients = uniformFloats(batchSize * steps * hidden, generator: &generator)
        if readout == .lastStep {
            for sample in 0..<batchSize {
                for index in (sample * steps * hidden)..<((sample * steps + steps - 1) * hidden) {
                    coefficients[index] = 0
                }
            }
        }

        // L = Σ c ⊙ output, so dOutput = c: every parameter tensor and dInput against central differences.
        checkLayerGradients(layer, input: input, parameters: parameters, coefficients: coefficients,
                            batchSize: batchSize)

        // The fixture reaches every tensor, and without dInput (a first layer) the parameter gradients are the same.
        let (dParameters, dInput) = recurrentForwardBackward(layer, parameters: parameters, input: input,
                                                             dOutput: coefficients, batchSize: batchSize)
        var offset = 0
        for tensor in layer.parameterTensors {
            #expect(dParameters[offset..<(offset + tensor.count)].contains { abs($0) > 1e-4 },
                    "\(cell) \(readout) \(tensor.name) gets no gradient")
            offset += tensor.count
        }
        let withoutInput = recurrentForwardBackward(layer, parameters: parameters, input: input,
                                                    dOutput: coefficients, batchSize: batchSize, wantsInput: false)
        #expect(withoutInput.dParameters == dParameters && dInput != nil && withoutInput.dInput == nil)
    }

    @Test("a network of recurrent layer, last step and dense head matches central differences",
          arguments: RecurrentCell.allCases)
    func network(cell: RecurrentCell) throws {
        let (batchSize, classCount) = (3, 3)
        let kind: LayerKind = switch cell {
        case .rnn: .rnn
        case .lstm: .lstm
        case .gru: .gru
        }
        let architecture = Architecture(inputShape: Shape([4, 2]),
                                        layers: [.recurrent(kind, units: 4), .lastTimeStep, .dense(classCount)])
        let network = try Network(architecture: architecture, capacity: 5)
        #expect(network.layers.first as? RecurrentLayer
                == RecurrentLayer(cell: cell, inputShape: Shape([4, 2]), hiddenSize: 4))
        var generator = SeededGenerator(seed: 31)
        let parameters = uniformFloats(network.parameterCount, generator: &generator)
        _ = network.input.update(fromContentsOf: uniformFloats(batchSize * 8, generator: &generator))
        let labels: [Int32] = [2, 0, 1]

        func forwardLoss() -> (probabilities: [Float], loss: Double) {
            network.forward(batchSize: batchSize)
            var probabilities = [Float](repeating: 0, count: batchSize * classCount)
            var losses = [Float](repeating: 0, count: batchSize)
            SoftmaxCrossEntropy.forward(probabilities: &probabilities, losses: &losses, logits: network.logits,
                                        labels: labels, batchSize: batchSize, classCount: classCount)
            return (probabilities, losses.reduce(0) { $0 + Double($1) } / Double(batchSize))
        }
        let numerical = centralDifferences(parameters) { point in
            _ = network.parameters.update(fromContentsOf: point)
            return forwardLoss().loss
        }
        _ = network.parameters.update(fromContentsOf: parameters)
        network.zeroGradients()
        let probabilities = forwardLoss().probabilities
        SoftmaxCrossEntropy.backward(dLogits: network.dLogits, probabilities: probabilities, labels: labels,
                                     batchSize: batchSize, classCount: classCount)
        network.backward(LayerContext(mode: .training, batchSize: batchSize))
        assertClose(network.gradients.map(Double.init), numerical,
                    absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance, "\(cell) network")
    }

    @Test("initialisation: orthogonal recurrent blocks, LSTM forget bias 1, parameter counts",
          arguments: RecurrentCell.allCases)
    func initialisation(cell: RecurrentCell) throws {
        let (steps, features, hidden, classCount) = (5, 3, 6, 2)
        let kind: LayerKind = switch cell {
        case .rnn: .rnn
        case .lstm: .lstm
        case .gru: .gru
        }
        let architecture = Architecture(inputShape: Shape([steps, features]),
                                        layers: [.recurrent(kind, units: hidden), .lastTimeStep, .dense(classCount)])
        let network = try Network(architecture: architecture, capacity: 1)
        var generator = SeededGenerator(seed: 41)
        network.initialize(InitializationOptions(scheme: .glorot), generator: &generator)
        let gates = cell.gateCount
        // PyTorch's counts, less its redundant second bias for the RNN (H) and the LSTM (4H).
        let recurrentCount = gates * hidden * (features + hidden) + (cell == .gru ? 2 : 1) * gates * hidden
        #expect(network.parameterCount == recurrentCount + classCount * (hidden + 1))
        #expect(architecture.parameterCount == network.parameterCount)

        let segments = network.parameterSegments.filter { $0.layerIndex == 0 }
        let recurrent = try #require(segments.first { $0.name == "recurrent_weight" })
        #expect(recurrent.role == .weight && recurrent.range.count == gates * hidden * hidden)
        for block in 0..<gates {
            let start = recurrent.range.lowerBound + block * hidden * hidden
            let matrix = network.parameters[start..<(start + hidden * hidden)].map(Double.init)
            for row in 0..<hidden {
                for column in 0..<hidden {
                    // (WᵀW)[row, column] = Σ_k W[k, row] W[k, column].
                    let dot = (0..<hidden).reduce(0.0) { $0 + matrix[$1 * hidden + row] * matrix[$1 * hidden + column] }
                    assertClose(dot, row == column ? 1 : 0, absolute: 1e-5, relative: 0,
                                "\(cell) block \(block) (WᵀW)[\(row), \(column)]")
                }
            }
        }
        for segment in segments where segment.role == .bias {
            let expected: Float = segment.name == "forget_gate_bias" ? 1 : 0
            #expect(network.parameters[segment.range].allSatisfy { $0 == expected }, "\(cell) \(segment.name)")
        }
        if cell == .lstm {
            #expect(segments.map(\.name) == ["weight", "recurrent_weight", "input_gate_bias", "forget_gate_bias",
                                             "cell_gate_bias", "output_gate_bias"])
        }
        let weight = try #require(segments.first { $0.name == "weight" })
        #expect(network.parameters[weight.range].contains { $0 != 0 })
    }

    @Test("fast σ and tanh stay within 4e-7 of the exact functions, and saturate cleanly")
    func fastFunctions() {
        var worstSigmoid = 0.0
        var worstTanh = 0.0
        for index in -400_000...400_000 {
            let x = Float(index) * 5e-5     // [−20, 20]
            let exactSigmoid = 1 / (1 + exponential(-Double(x)))
            worstSigmoid = max(worstSigmoid, abs(Double(RecurrentMath.sigmoid(x)) - exactSigmoid))
            worstTanh = max(worstTanh, abs(Double(RecurrentMath.tanh(x)) - hyperbolicTangent(Double(x))))
        }
        // Measured: 2.3e-7 and 3.9e-7.
        #expect(worstSigmoid < 2.5e-7 && worstTanh < 4e-7, "σ error \(worstSigmoid), tanh error \(worstTanh)")
        // Odd, exact at 0, and relatively accurate near 0 (no cancellation).
        #expect(RecurrentMath.tanh(0) == 0 && RecurrentMath.tanh(-0.3) == -RecurrentMath.tanh(0.3))
        assertClose(Double(RecurrentMath.tanh(1e-4)), hyperbolicTangent(1e-4), absolute: 0, relative: 1e-6)
        for x: Float in [16, 100, 1e30, .infinity] {
            #expect(RecurrentMath.sigmoid(x) == 1 && RecurrentMath.sigmoid(-x) == 0, "σ(±\(x))")
            #expect(RecurrentMath.tanh(x) == 1 && RecurrentMath.tanh(-x) == -1, "tanh(±\(x))")
        }
        #expect(RecurrentMath.sigmoid(.nan).isNaN && RecurrentMath.tanh(.nan).isNaN)
    }
}

// MARK: - Helpers

/// Forward over arrays with a fresh cache and scratch, both filled with NaN so a read of anything forward did
/// not write shows up.
private func recurrentForward(_ layer: RecurrentLayer, parameters: [Float], input: [Float],
                             batchSize: Int) -> (output: [Float], cache: [Float]) {
    var output = [Float](repeating: .nan, count: batchSize * layer.outputShape.count)
    var cache = [Float](repeating: .nan, count: max(layer.cacheCount(batchSize: batchSize), 1))
    var scratch = [Float](repeating: .nan, count: max(layer.scratchCount(batchSize: batchSize), 1))
    output.withUnsafeMutableBufferPointer { output in
        cache.withUnsafeMutableBufferPointer { cache in
            scratch.withUnsafeMutableBufferPointer { scratch in
                layer.forward(output: output.baseAddress!, input: input, parameters: parameters,
                              cache: cache.baseAddress!, scratch: scratch.baseAddress!,
                              context: LayerContext(mode: .training, batchSize: batchSize))
            }
        }
    }
    return (output, Array(cache.prefix(layer.cacheCount(batchSize: batchSize))))
}

/// Forward, then backward from `dOutput` into zeroed gradients, scratch spoilt in between.
private func recurrentForwardBackward(_ layer: RecurrentLayer, parameters: [Float], input: [Float], dOutput: [Float],
                                      batchSize: Int,
                                      wantsInput: Bool = true) -> (dParameters: [Float], dInput: [Float]?) {
    var output = [Float](repeating: .nan, count: batchSize * layer.outputShape.count)
    var cache = [Float](repeating: .nan, count: max(layer.cacheCount(batchSize: batchSize), 1))
    var scratch = [Float](repeating: .nan, count: max(layer.scratchCount(batchSize: batchSize), 1))
    var dParameters = [Float](repeating: 0, count: layer.parameterCount)
    var dInput = [Float](repeating: 0, count: input.count)
    var dOutput = dOutput
    let context = LayerContext(mode: .training, batchSize: batchSize)
    output.withUnsafeMutableBufferPointer { output in
        cache.withUnsafeMutableBufferPointer { cache in
            scratch.withUnsafeMutableBufferPointer { scratch in
                layer.forward(output: output.baseAddress!, input: input, parameters: parameters,
                              cache: cache.baseAddress!, scratch: scratch.baseAddress!, context: context)
                // Scratch is not kept between calls.
                scratch.update(repeating: .nan)
                dInput.withUnsafeMutableBufferPointer { dInput in
                    layer.backward(dInput: wantsInput ? dInput.baseAddress! : nil, dParameters: &dParameters,
                                   dOutput: &dOutput, output: output.baseAddress!, input: input,
                                   parameters: parameters, cache: cache.baseAddress!,
                                   scratch: scratch.baseAddress!, context: context)
                }
            }
        }
    }
    return (dParameters, wantsInput ? dInput : nil)
}

/// The hidden states (B, T, H) of `cell`, computed sample by sample in Double straight from the PyTorch
/// equations (see ``RecurrentCell``), reading the parameters in the layer's order: W_ih (GH, F), W_hh (GH, H),
/// then b (RNN H, LSTM 4H) or b_ih, b_hh (GRU 3H each).
private func naiveRecurrent(_ cell: RecurrentCell, parameters: [Float], input: [Float], batchSize: Int, steps: Int,
                            features: Int, hidden: Int) -> [Double] {
    let gates = cell.gateCount
    let values = parameters.map(Double.init)
    let recurrentStart = gates * hidden * features
    let biasStart = recurrentStart + gates * hidden * hidden
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exponential(-x)) }
    var result: [Double] = []
    for sample in 0..<batchSize {
        var h = [Double](repeating: 0, count: hidden)
        var c = [Double](repeating: 0, count: hidden)
        for step in 0..<steps {
            let x = (0..<features).map { Double(input[(sample * steps + step) * features + $0]) }
            // W_i(gate) x and W_h(gate) h for unit j of gate block `gate`.
            func inputPart(_ gate: Int, _ j: Int) -> Double {
                (0..<features).reduce(0) { $0 + values[(gate * hidden + j) * features + $1] * x[$1] }
            }
            func recurrentPart(_ gate: Int, _ j: Int) -> Double {
                (0..<hidden).reduce(0) { $0 + values[recurrentStart + (gate * hidden + j) * hidden + $1] * h[$1] }
            }
            func bias(_ gate: Int, _ j: Int) -> Double { values[biasStart + gate * hidden + j] }
            func recurrentBias(_ gate: Int, _ j: Int) -> Double { values[biasStart + (gates + gate) * hidden + j] }
            var next = h
            for j in 0..<hidden {
                switch cell {
                case .rnn:
                    next[j] = hyperbolicTangent(inputPart(0, j) + recurrentPart(0, j) + bias(0, j))
                case .lstm:
                    let i = sigmoid(inputPart(0, j) + recurrentPart(0, j) + bias(0, j))
                    let f = sigmoid(inputPart(1, j) + recurrentPart(1, j) + bias(1, j))
                    let g = hyperbolicTangent(inputPart(2, j) + recurrentPart(2, j) + bias(2, j))
                    let o = sigmoid(inputPart(3, j) + recurrentPart(3, j) + bias(3, j))
                    c[j] = f * c[j] + i * g
                    next[j] = o * hyperbolicTangent(c[j])
                case .gru:
                    let r = sigmoid(inputPart(0, j) + bias(0, j) + recurrentPart(0, j) + recurrentBias(0, j))
                    let z = sigmoid(inputPart(1, j) + bias(1, j) + recurrentPart(1, j) + recurrentBias(1, j))
                    let n = hyperbolicTangent(inputPart(2, j) + bias(2, j)
                                              + r * (recurrentPart(2, j) + recurrentBias(2, j)))
                    next[j] = (1 - z) * n + z * h[j]
                }
            }
            h = next
            result += h
        }
    }
    return result
}
