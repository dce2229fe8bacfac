// Convolution and pooling layers: forward against naive Double references, finite-difference gradient checks,
// max-pool tie and routing cases, shapes against the architecture, and a conv network's whole gradient.
import Testing
import TrackerEngine
import TrackerTestSupport

// Gradient checks use LayerGradientCheck's central differences and tolerances. Convolution and pooling are piecewise
// linear, so the only error there is Float rounding. Max-pool fixtures have window values at least 0.05 apart, and
// no perturbation (ε = 0.01) moves a value by more than 0.01, so no arg-max changes.

/// One convolution configuration: input C×H×W, O output channels, kernel K, stride S, padding D.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    let inputChannels, height, width, outputChannels, kernel, stride, padding: Int

    var inputShape: Shape { Shape([inputChannels, height, width]) }
    func layer(groupValues: Int = Conv2DLayer.defaultGroupValues) -> Conv2DLayer {
        Conv2DLayer(inputShape: inputShape, channels: outputChannels, kernel: kernel, stride: stride, padding: padding,
                    groupValues: groupValues)
    }
    var testDescription: String {
        "\(inputChannels)×\(height)×\(width) → \(outputChannels) k\(kernel) s\(stride) p\(padding)"
    }
}

private let convolutionCases = [
    ConvolutionCase(inputChannels: 2, height: 5, width: 5, outputChannels: 3, kernel: 3, stride: 1, padding: 0),
    ConvolutionCase(inputChannels: 2, height: 6, width: 6, outputChannels: 3, kernel: 3, stride: 2, padding: 1),
    ConvolutionCase(inputChannels: 1, height: 5, width: 5, outputChannels: 2, kernel: 5, stride: 1, padding: 2),
    ConvolutionCase(inputChannels: 3, height: 7, width: 7, outputChannels: 2, kernel: 5, stride: 2, padding: 2),
    ConvolutionCase(inputChannels: 3, height: 4, width: 4, outputChannels: 4, kernel: 1, stride: 1, padding: 0),
    ConvolutionCase(inputChannels: 2, height: 5, width: 5, outputChannels: 2, kernel: 1, stride: 2, padding: 0),
    // H ≠ W, and strides that leave the last input row or padded column unread.
    ConvolutionCase(inputChannels: 2, height: 6, width: 7, outputChannels: 3, kernel: 3, stride: 2, padding: 0),
    ConvolutionCase(inputChannels: 2, height: 7, width: 6, outputChannels: 2, kernel: 3, stride: 2, padding: 2),
    // A kernel larger than the image: most filter taps read only padding.
    ConvolutionCase(inputChannels: 1, height: 1, width: 2, outputChannels: 2, kernel: 7, stride: 2, padding: 3),
]

/// Pooling windows: disjoint, overlapping (stride < kernel), and leaving the last rows and columns unread.
private let poolingWindows: [(kernel: Int, stride: Int)] = [(2, 2), (3, 1), (2, 1), (3, 2)]

@Suite("Convolution and pooling layers")
struct ConvolutionTests {
    @Test("conv2d forward matches a direct Double convolution, in one group and in groups of one sample",
          arguments: convolutionCases)
    func convolutionForward(_ configuration: ConvolutionCase) {
        let batchSize = 3
        var generator = SeededGenerator(seed: 11)
        let parameters = uniformFloats(configuration.layer().parameterCount, generator: &generator)
        let input = uniformFloats(batchSize * configuration.inputShape.count, generator: &generator)
        let expected = directConvolution(configuration, parameters: parameters, input: input, batchSize: batchSize)
        for layer in [configuration.layer(), configuration.layer(groupValues: 1)] {
            let output = forwardPass(layer, parameters: parameters, input: input, batchSize: batchSize).output
            assertClose(output.map(Double.init), expected, absolute: 1e-5, relative: 1e-5,
                        "output, groups of \(layer.groupValues) values")
        }
    }

    @Test("conv2d backward: dWeight, dBias and dInput by central differences", arguments: convolutionCases)
    func convolutionGradients(_ configuration: ConvolutionCase) {
        let layer = configuration.layer()
        var generator = SeededGenerator(seed: 12)
        checkLayerGradients(layer, input: uniformFloats(2 * layer.inputShape.count, generator: &generator),
                            parameters: uniformFloats(layer.parameterCount, generator: &generator),
                            coefficients: uniformFloats(2 * layer.outputShape.count, generator: &generator),
                            batchSize: 2)
    }

    @Test("conv2d backward matches a direct Double backward, in groups of two samples and a last group of one",
          arguments: convolutionCases)
    func convolutionBackwardInGroups(_ configuration: ConvolutionCase) {
        let plain = configuration.layer()
        let rowsTimesPositions = configuration.inputChannels * configuration.kernel * configuration.kernel
            * plain.outputShape.dimensions[1] * plain.outputShape.dimensions[2]
        let layer = configuration.layer(groupValues: 2 * rowsTimesPositions)
        let batchSize = 3
        var generator = SeededGenerator(seed: 13)
        let parameters = uniformFloats(layer.parameterCount, generator: &generator)
        let input = uniformFloats(batchSize * layer.inputShape.count, generator: &generator)
        let dOutput = uniformFloats(batchSize * layer.outputShape.count, generator: &generator)
        let gradients = backwardPass(layer, parameters: parameters, input: input, dOutput: dOutput, batchSize: batchSize)
        let expected = directConvolutionBackward(configuration, parameters: parameters, input: input,
                                                 dOutput: dOutput, batchSize: batchSize)
        let weightCount = layer.parameterCount - configuration.outputChannels
        assertClose(gradients.dParameters[..<weightCount].map(Double.init), Array(expected.dParameters[..<weightCount]),
                    absolute: 1e-5, relative: 1e-5, "dWeight")
        assertClose(gradients.dParameters[weightCount...].map(Double.init), Array(expected.dParameters[weightCount...]),
                    absolute: 1e-5, relative: 1e-5, "dBias")
        assertClose(gradients.dInput.map(Double.init), expected.dInput, absolute: 1e-5, relative: 1e-5, "dInput")
    }

    @Test("conv2d backward adds to the gradients it is given and accepts a nil dInput")
    func convolutionAccumulates() {
        let layer = Conv2DLayer(inputShape: Shape([1, 2, 2]), channels: 1, kernel: 2)
        let parameters: [Float] = [1, 2, 3, 4, 0.5]          // one 2×2 filter, bias 0.5
        let input: [Float] = [1, -1, 2, 0.5]
        let forward = forwardPass(layer, parameters: parameters, input: input, batchSize: 1)
        #expect(forward.output == [7.5])          // 1·1 + 2·(−1) + 3·2 + 4·0.5 + 0.5
        // dWeight = dOutput · input = 2·[1, −1, 2, 0.5], dBias = 2, dInput = 2·weight, each added to 10.
        let gradients = backwardPass(layer, parameters: parameters, input: input, dOutput: [2], batchSize: 1,
                                    initialDParameters: [Float](repeating: 10, count: 5),
                                    initialDInput: [Float](repeating: 10, count: 4))
        #expect(gradients.dParameters == [12, 8, 14, 11, 12])
        #expect(gradients.dInput == [12, 14, 16, 18])
        let withoutInput = backwardPass(layer, parameters: parameters, input: input, dOutput: [2], batchSize: 1,
                                       skipInput: true)
        #expect(withoutInput.dParameters == [2, -2, 4, 1, 2])
    }

    @Test("conv2d parameter tensors: weight (O, C, K, K) with fan-in C·K² and fan-out O·K², then a zero bias")
    func convolutionParameters() {
        let layer = Conv2DLayer(inputShape: Shape([3, 8, 8]), channels: 5, kernel: 3, stride: 2, padding: 1)
        #expect(layer.outputShape == Shape([5, 4, 4]))
        #expect(layer.parameterTensors == [
            ParameterTensor(name: "weight", role: .weight, shape: [5, 3, 3, 3], initializer: .weight(fanIn: 27, fanOut: 45)),
            ParameterTensor(name: "bias", role: .bias, shape: [5], initializer: .zeros),
        ])
        #expect(layer.cacheCount(batchSize: 4) == 0)
    }

    @Test("pooling forward matches a direct Double reference",
          arguments: [Pool2DLayer.Kind.max, .average], poolingWindows)
    func poolingForward(kind: Pool2DLayer.Kind, window: (kernel: Int, stride: Int)) {
        let layer = Pool2DLayer(kind: kind, inputShape: Shape([2, 6, 7]), kernel: window.kernel, stride: window.stride)
        let batchSize = 2
        var generator = SeededGenerator(seed: 14)
        let input = uniformFloats(batchSize * layer.inputShape.count, generator: &generator)
        let output = forwardPass(layer, parameters: [], input: input, batchSize: batchSize).output
        assertClose(output.map(Double.init), directPooling(layer, input: input, batchSize: batchSize),
                    absolute: 1e-6, relative: 1e-6, "output")
    }

    @Test("pooling backward by central differences",
          arguments: [Pool2DLayer.Kind.max, .average], poolingWindows)
    func poolingGradients(kind: Pool2DLayer.Kind, window: (kernel: Int, stride: Int)) {
        let layer = Pool2DLayer(kind: kind, inputShape: Shape([2, 6, 7]), kernel: window.kernel, stride: window.stride)
        var generator = SeededGenerator(seed: 15)
        checkLayerGradients(layer, input: distinctValues(2 * layer.inputShape.count, generator: &generator),
                            parameters: [], coefficients: uniformFloats(2 * layer.outputShape.count, generator: &generator),
                            batchSize: 2)
    }

    @Test("max pooling: ties go to the first maximum in row-major order; overlapping windows add their gradients")
    func maxPoolingTiesAndRouting() {
        // 1×3×3, 2×2 windows at stride 1: four overlapping windows.
        let layer = Pool2DLayer(kind: .max, inputShape: Shape([1, 3, 3]), kernel: 2, stride: 1)
        let input: [Float] = [5, 5, 1,
                              5, 2, 7,
                              0, 7, 7]
        let forward = forwardPass(layer, parameters: [], input: input, batchSize: 1)
        #expect(forward.output == [5, 7, 7, 7])
        // Arg-maxes as plane positions: window (0,0) holds 5,5,5,2 → the first 5, at 0; (0,1) holds 5,1,2,7 → 5;
        // (1,0) holds 5,2,0,7 → 7; (1,1) holds 2,7,7,7 → the first 7, at 5.
        #expect(forward.cache == [0, 5, 7, 5])
        let gradients = backwardPass(layer, parameters: [], input: input, dOutput: [1, 10, 100, 1000], batchSize: 1)
        #expect(gradients.dInput == [1, 0, 0,
                                     0, 0, 1010,
                                     0, 100, 0])
    }

    @Test("max pooling routes a window of equal values to its first element, and a NaN wins its window (the last NaN)")
    func maxPoolingConstantAndNaN() {
        // 2×2 windows (the unrolled path): equal values; one NaN; two NaNs.
        let small = Pool2DLayer(kind: .max, inputShape: Shape([3, 2, 2]), kernel: 2)
        let input: [Float] = [3, 3, 3, 3,   1, .nan, 2, 0,   .nan, 5, .nan, 1]
        let forward = forwardPass(small, parameters: [], input: input, batchSize: 1)
        #expect(forward.output[0] == 3 && forward.output[1].isNaN && forward.output[2].isNaN)
        #expect(forward.cache == [0, 1, 2])
        let gradients = backwardPass(small, parameters: [], input: input, dOutput: [2, 4, 8], batchSize: 1)
        #expect(gradients.dInput == [2, 0, 0, 0,   0, 4, 0, 0,   0, 0, 8, 0])
        // A 3×3 window (the general path): two NaNs among larger values.
        let large = Pool2DLayer(kind: .max, inputShape: Shape([1, 3, 3]), kernel: 3)
        let values: [Float] = [1, 9, .nan, 4, 9, 2, .nan, 8, 7]
        let largeForward = forwardPass(large, parameters: [], input: values, batchSize: 1)
        #expect(largeForward.output[0].isNaN && largeForward.cache == [6])
    }

    @Test("average pooling: window means forward, an even share of dOutput backward")
    func averagePooling() {
        let layer = Pool2DLayer(kind: .average, inputShape: Shape([1, 2, 4]), kernel: 2)
        let input: [Float] = [1, 2, 3, 4,
                              5, 6, 7, 9]
        let forward = forwardPass(layer, parameters: [], input: input, batchSize: 1)
        #expect(forward.output == [3.5, 5.75])
        let gradients = backwardPass(layer, parameters: [], input: input, dOutput: [4, 8], batchSize: 1)
        #expect(gradients.dInput == [1, 1, 2, 2,
                                     1, 1, 2, 2])
        #expect(layer.cacheCount(batchSize: 10) == 0)
    }

    @Test("global average pooling: channel means forward, dOutput / (H·W) backward")
    func globalAveragePooling() {
        let layer = GlobalAveragePoolLayer(inputShape: Shape([2, 2, 3]))
        #expect(layer.outputShape == .features(2))
        let input: [Float] = [1, 2, 3, 4, 5, 6,   -6, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 12,   1, 1, 1, 1, 1, 1]
        let forward = forwardPass(layer, parameters: [], input: input, batchSize: 2)
        #expect(forward.output == [3.5, -1, 2, 1])
        let gradients = backwardPass(layer, parameters: [], input: input, dOutput: [6, 12, -3, 0], batchSize: 2)
        #expect(gradients.dInput == [Float](repeating: 1, count: 6) + [Float](repeating: 2, count: 6)
                                    + [Float](repeating: -0.5, count: 6) + [Float](repeating: 0, count: 6))
        var generator = SeededGenerator(seed: 16)
        checkLayerGradients(layer, input: uniformFloats(24, generator: &generator), parameters: [],
                            coefficients: uniformFloats(4, generator: &generator), batchSize: 2)
    }

    @Test("the network's layers have the shapes Architecture.outputShapes computes")
    func shapesAgree() throws {
        let architectures = [
            Architecture(inputShape: Shape([1, 28, 28]), layers: [
                .conv2d(channels: 16, kernel: 5, padding: 2, activation: .relu), .maxPool(2),
                .conv2d(channels: 32, kernel: 5, padding: 2, activation: .relu), .maxPool(2),
                .flatten, .dense(128, .relu), .dense(10),
            ]),
            Architecture(inputShape: Shape([3, 11, 9]), layers: [
                .conv2d(channels: 4, kernel: 3, stride: 2, padding: 1), .activation(.tanh),
                .averagePool(2, stride: 1), .conv2d(channels: 6, kernel: 1), .maxPool(3, stride: 2),
                .globalAveragePool, .dense(3),
            ]),
            Architecture(inputShape: Shape([2, 7, 7]), layers: [
                .conv2d(channels: 3, kernel: 4, stride: 3), .averagePool(2), .flatten, .dense(2),
            ]),
        ]
        for architecture in architectures {
            let shapes = try architecture.outputShapes()
            let layers = try Network.makeLayers(architecture)
            for (index, shape) in shapes.enumerated() {
                let last = layers.last { $0.architectureIndex == index }!.layer
                #expect(last.outputShape == shape, "\(architecture.summary) layer \(index)")
            }
            for position in 1..<layers.count {
                #expect(layers[position].layer.inputShape == layers[position - 1].layer.outputShape)
            }
        }
    }

    @Test("a pooling layer with padding is refused with a message naming it")
    func poolingPaddingRefused() {
        let architecture = Architecture(inputShape: Shape([1, 6, 6]), layers: [
            LayerSpec(kind: .maxpool2d, units: 0, activation: nil, kernel: 2, stride: 2, padding: 1), .flatten, .dense(2),
        ])
        #expect(throws: ArchitectureError.self) { try Network.makeLayers(architecture) }
        do {
            _ = try Network.makeLayers(architecture)
        } catch {
            #expect(error.description.contains("maxpool1") && error.description.contains("padding"))
        }
    }

    @Test("whole network conv → relu → maxpool → flatten → dense: every parameter by central differences")
    func convolutionNetwork() throws {
        let architecture = Architecture(inputShape: Shape([2, 4, 4]), layers: [
            .conv2d(channels: 2, kernel: 3, padding: 1, activation: .relu), .maxPool(2), .flatten, .dense(4),
        ])
        let batchSize = 2
        let network = try Network(architecture: architecture, capacity: 3)
        #expect(network.layers.count == 5)      // conv, relu, maxpool, flatten, dense
        var seed: UInt64 = 400
        var parameters: [Float] = []
        var input: [Float] = []
        var coefficients: [Float] = []
        // Keep every conv pre-activation 0.025 from the ReLU kink and every positive pooled maximum 0.025 above the
        // rest of its window: perturbing one conv weight or bias by ε moves a pre-activation by at most ε = 0.01
        // (inputs lie in [−1, 1]), so no sign and no arg-max changes.
        repeat {
            var generator = SeededGenerator(seed: seed)
            parameters = uniformFloats(network.parameterCount, generator: &generator)
            input = uniformFloats(batchSize * architecture.inputShape.count, generator: &generator)
            coefficients = uniformFloats(batchSize * 4, generator: &generator)
            seed += 1
        } while networkMargin(network, parameters: parameters, input: input, batchSize: batchSize) < 0.025

        // Objective L = Σ c ⊙ logits, so dLogits = c.
        func objective(_ parameters: [Float], _ input: [Float]) -> Double {
            load(network, parameters: parameters, input: input)
            network.forward(LayerContext(mode: .training, batchSize: batchSize))
            return (0..<(batchSize * 4)).reduce(0) { $0 + Double(network.logits[$1]) * Double(coefficients[$1]) }
        }
        let numerical = centralDifferences(parameters) { objective($0, input) }

        load(network, parameters: parameters, input: input)
        network.zeroGradients()
        network.forward(LayerContext(mode: .training, batchSize: batchSize))
        for index in 0..<(batchSize * 4) { network.dLogits[index] = coefficients[index] }
        network.backward(LayerContext(mode: .training, batchSize: batchSize))
        let analytic = network.gradients.map(Double.init)
        for segment in network.parameterSegments {
            assertClose(Array(analytic[segment.range]), Array(numerical[segment.range]),
                        absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance,
                        "layer \(segment.layerIndex) \(segment.name)")
            #expect(analytic[segment.range].contains { $0 != 0 }, "layer \(segment.layerIndex) \(segment.name)")
        }
    }
}

// MARK: - Running a layer on arrays

/// Forward pass of `layer` over arrays: the output and the cache it leaves (exactly cacheCount values).
private func forwardPass(_ layer: some Layer, parameters: [Float], input: [Float],
                        batchSize: Int) -> (output: [Float], cache: [Float]) {
    var output = [Float](repeating: 0, count: batchSize * layer.outputShape.count)
    var cache = [Float](repeating: 0, count: max(1, layer.cacheCount(batchSize: batchSize)))
    var scratch = [Float](repeating: 0, count: max(1, layer.scratchCount(batchSize: batchSize)))
    let parameters = parameters.isEmpty ? [0] : parameters
    layer.forward(output: &output, input: input, parameters: parameters, cache: &cache, scratch: &scratch,
                  context: LayerContext(mode: .training, batchSize: batchSize))
    return (output, Array(cache.prefix(layer.cacheCount(batchSize: batchSize))))
}

/// Forward then backward of `layer` over arrays, adding into the given initial gradients (zero by default).
private func backwardPass(_ layer: some Layer, parameters: [Float], input: [Float], dOutput: [Float], batchSize: Int,
                         initialDParameters: [Float]? = nil, initialDInput: [Float]? = nil,
                         skipInput: Bool = false) -> (dParameters: [Float], dInput: [Float]) {
    let context = LayerContext(mode: .training, batchSize: batchSize)
    var output = [Float](repeating: 0, count: batchSize * layer.outputShape.count)
    var cache = [Float](repeating: 0, count: max(1, layer.cacheCount(batchSize: batchSize)))
    var scratch = [Float](repeating: 0, count: max(1, layer.scratchCount(batchSize: batchSize)))
    let parameters = parameters.isEmpty ? [0] : parameters
    layer.forward(output: &output, input: input, parameters: parameters, cache: &cache, scratch: &scratch,
                  context: context)
    var dParameters = initialDParameters ?? [Float](repeating: 0, count: max(1, layer.parameterCount))
    var dInput = initialDInput ?? [Float](repeating: 0, count: input.count)
    var dOutput = dOutput
    dInput.withUnsafeMutableBufferPointer { dInputBuffer in
        layer.backward(dInput: skipInput ? nil : dInputBuffer.baseAddress!, dParameters: &dParameters,
                       dOutput: &dOutput, output: output, input: input, parameters: parameters, cache: &cache,
                       scratch: &scratch, context: context)
    }
    return (Array(dParameters.prefix(layer.parameterCount)), dInput)
}

/// −1, −0.95, −0.9, ... (`count` values 0.05 apart) in random order: no ties or near-ties for max pooling.
private func distinctValues(_ count: Int, generator: inout SeededGenerator) -> [Float] {
    var values = (0..<count).map { Float($0) * 0.05 - 1 }
    generator.shuffle(&values)
    return values
}

private func load(_ network: Network, parameters: [Float], input: [Float]) {
    _ = network.parameters.update(fromContentsOf: parameters)
    _ = UnsafeMutableBufferPointer(rebasing: network.input[..<input.count]).update(fromContentsOf: input)
}

/// How far the conv network's fixture is from a kink: the smallest |conv pre-activation| and the smallest gap
/// between a positive pooled maximum and the other values of its window (after the ReLU).
private func networkMargin(_ network: Network, parameters: [Float], input: [Float], batchSize: Int) -> Float {
    load(network, parameters: parameters, input: input)
    network.forward(LayerContext(mode: .training, batchSize: batchSize))
    let preactivations = network.output(ofLayer: 0)
    let activations = network.output(ofLayer: 1)
    let shape = network.layers[1].outputShape.dimensions        // C, H, W
    var margin = Float.infinity
    for index in 0..<(batchSize * network.layers[0].outputShape.count) {
        margin = min(margin, abs(preactivations[index]))
    }
    for plane in 0..<(batchSize * shape[0]) {
        for y in stride(from: 0, to: shape[1] - 1, by: 2) {
            for x in stride(from: 0, to: shape[2] - 1, by: 2) {
                let window = [0, 1, shape[2], shape[2] + 1].map { activations[plane * shape[1] * shape[2] + y * shape[2] + x + $0] }
                    .sorted(by: >)
                if window[0] > 0 { margin = min(margin, window[0] - window[1]) }
            }
        }
    }
    return margin
}

// MARK: - Naive references in Double

/// output[b, o, y, x] = bias[o] + Σ weight[o, c, i, j] · input[b, c, y·S − D + i, x·S − D + j], by plain loops.
private func directConvolution(_ configuration: ConvolutionCase, parameters: [Float], input: [Float],
                               batchSize: Int) -> [Double] {
    let (c, h, w, o, k, s, d) = (configuration.inputChannels, configuration.height, configuration.width,
                                 configuration.outputChannels, configuration.kernel, configuration.stride,
                                 configuration.padding)
    let (outputHeight, outputWidth) = ((h + 2 * d - k) / s + 1, (w + 2 * d - k) / s + 1)
    var output: [Double] = []
    for sample in 0..<batchSize {
        for channel in 0..<o {
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    var sum = Double(parameters[o * c * k * k + channel])
                    for inputChannel in 0..<c {
                        for i in 0..<k {
                            for j in 0..<k {
                                let (row, column) = (y * s - d + i, x * s - d + j)
                                guard (0..<h).contains(row), (0..<w).contains(column) else { continue }
                                let weight = parameters[((channel * c + inputChannel) * k + i) * k + j]
                                sum += Double(weight) * Double(input[((sample * c + inputChannel) * h + row) * w + column])
                            }
                        }
                    }
                    output.append(sum)
                }
            }
        }
    }
    return output
}

/// The adjoint of ``directConvolution``: dWeight, dBias and dInput for dOutput, by plain loops.
private func directConvolutionBackward(_ configuration: ConvolutionCase, parameters: [Float], input: [Float],
                                       dOutput: [Float], batchSize: Int) -> (dParameters: [Double], dInput: [Double]) {
    let (c, h, w, o, k, s, d) = (configuration.inputChannels, configuration.height, configuration.width,
                                 configuration.outputChannels, configuration.kernel, configuration.stride,
                                 configuration.padding)
    let (outputHeight, outputWidth) = ((h + 2 * d - k) / s + 1, (w + 2 * d - k) / s + 1)
    var dParameters = [Double](repeating: 0, count: o * c * k * k + o)
    var dInput = [Double](repeating: 0, count: input.count)
    for sample in 0..<batchSize {
        for channel in 0..<o {
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    let gradient = Double(dOutput[((sample * o + channel) * outputHeight + y) * outputWidth + x])
                    dParameters[o * c * k * k + channel] += gradient
                    for inputChannel in 0..<c {
                        for i in 0..<k {
                            for j in 0..<k {
                                let (row, column) = (y * s - d + i, x * s - d + j)
                                guard (0..<h).contains(row), (0..<w).contains(column) else { continue }
                                let weightIndex = ((channel * c + inputChannel) * k + i) * k + j
                                let inputIndex = ((sample * c + inputChannel) * h + row) * w + column
                                dParameters[weightIndex] += gradient * Double(input[inputIndex])
                                dInput[inputIndex] += gradient * Double(parameters[weightIndex])
                            }
                        }
                    }
                }
            }
        }
    }
    return (dParameters, dInput)
}

/// Max or mean of every K×K window at stride S, by plain loops.
private func directPooling(_ layer: Pool2DLayer, input: [Float], batchSize: Int) -> [Double] {
    let (c, h, w) = (layer.inputShape.dimensions[0], layer.inputShape.dimensions[1], layer.inputShape.dimensions[2])
    let (k, s) = (layer.kernel, layer.stride)
    var output: [Double] = []
    for plane in 0..<(batchSize * c) {
        for y in 0..<((h - k) / s + 1) {
            for x in 0..<((w - k) / s + 1) {
                var window: [Double] = []
                for i in 0..<k {
                    for j in 0..<k { window.append(Double(input[(plane * h + y * s + i) * w + x * s + j])) }
                }
                output.append(layer.kind == .max ? window.max()! : window.reduce(0, +) / Double(k * k))
            }
        }
    }
    return output
}
