// The finite-difference check every layer passes: analytic gradients of L = Σ c ⊙ layer(x) against central differences.
import Testing
import TrackerEngine
import TrackerNumerics
import TrackerTestSupport

/// Central differences (f(θ+ε) − f(θ−ε)) / 2ε through the engine's own Float forward passes, ε = 1e-2.
///
/// Tolerances: the objectives are O(1) sums of a few dozen Float terms, so each evaluation carries a rounding
/// error around 1e-6, i.e. ≈ 5e-5 after dividing by 2ε; the truncation error ε²/6 · f‴ is ≈ 2e-5 for smooth
/// functions. 1e-3 absolute + 1e-2 relative is twenty times that, while a wrong derivative is off by O(0.1–1).
/// Kinks (ReLU, max pooling) are avoided by the fixtures, which say how far every input is from one.
let gradientEpsilon: Float = 1e-2
let gradientAbsoluteTolerance = 1e-3
let gradientRelativeTolerance = 1e-2

/// Numerical gradient of `f` at `point` by central differences with step ``gradientEpsilon``.
func centralDifferences(_ point: [Float], _ f: ([Float]) -> Double) -> [Double] {
    point.indices.map { index in
        var plus = point
        plus[index] += gradientEpsilon
        var minus = point
        minus[index] -= gradientEpsilon
        return (f(plus) - f(minus)) / Double(plus[index] - minus[index])
    }
}

/// Runs `layer` forward into fresh buffers (cache and scratch sized as the layer asks) and returns its output.
/// With `workers`, the layer may split the batch over their threads.
func runForward(_ layer: any Layer, input: [Float], parameters: [Float], batchSize: Int,
                mode: PassMode = .training, workers: WorkerPool? = nil, cache: inout [Float]) -> [Float] {
    var output = [Float](repeating: 0, count: batchSize * layer.outputShape.count)
    var scratch = [Float](repeating: 0, count: max(layer.scratchCount(batchSize: batchSize,
                                                                      threads: workers?.threadCount ?? 1), 1))
    cache = [Float](repeating: 0, count: max(layer.cacheCount(batchSize: batchSize), 1))
    let context = LayerContext(mode: mode, batchSize: batchSize, seed: 1, step: 0, layerIndex: 0, workers: workers)
    layer.forward(output: &output, input: input, parameters: parameters.isEmpty ? [0] : parameters, cache: &cache,
                  scratch: &scratch, context: context)
    return output
}

/// Checks dParameters (per tensor) and dInput of `layer` against central differences of L = Σ c ⊙ output, with
/// the coefficients c, parameters and input given. Also checks that backward accumulates (adds to what is there),
/// and that it leaves the gradients of state tensors (batch-norm running statistics) alone: they are not trained.
/// With `workers`, every pass may split the batch over their threads.
func checkLayerGradients(_ layer: any Layer, input: [Float], parameters: [Float], coefficients: [Float],
                         batchSize: Int, mode: PassMode = .training, workers: WorkerPool? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(input.count == batchSize * layer.inputShape.count, sourceLocation: sourceLocation)
    #expect(parameters.count == layer.parameterCount, sourceLocation: sourceLocation)
    #expect(coefficients.count == batchSize * layer.outputShape.count, sourceLocation: sourceLocation)
    func objective(_ parameters: [Float], _ input: [Float]) -> Double {
        var cache: [Float] = []
        let output = runForward(layer, input: input, parameters: parameters, batchSize: batchSize, mode: mode,
                                workers: workers, cache: &cache)
        return zip(output, coefficients).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var cache: [Float] = []
    let output = runForward(layer, input: input, parameters: parameters, batchSize: batchSize, mode: mode,
                            workers: workers, cache: &cache)
    var dOutput = coefficients
    // Start the gradients at 1 to check that backward adds rather than overwrites.
    var dParameters = [Float](repeating: 1, count: max(layer.parameterCount, 1))
    var dInput = [Float](repeating: 1, count: input.count)
    var scratch = [Float](repeating: 0, count: max(layer.scratchCount(batchSize: batchSize,
                                                                      threads: workers?.threadCount ?? 1), 1))
    let context = LayerContext(mode: mode, batchSize: batchSize, seed: 1, step: 0, layerIndex: 0, workers: workers)
    layer.backward(dInput: &dInput, dParameters: &dParameters, dOutput: &dOutput, output: output, input: input,
                   parameters: parameters.isEmpty ? [0] : parameters, cache: &cache, scratch: &scratch,
                   context: context)
    let numericalInput = centralDifferences(input) { objective(parameters, $0) }
    assertClose(dInput.map { Double($0) - 1 }, numericalInput, absolute: gradientAbsoluteTolerance,
                relative: gradientRelativeTolerance, "dInput", sourceLocation: sourceLocation)
    if !parameters.isEmpty {
        let numerical = centralDifferences(parameters) { objective($0, input) }
        var start = 0
        for tensor in layer.parameterTensors {
            let range = start ..< start + tensor.count
            if tensor.role == .state {
                #expect(dParameters[range].allSatisfy { $0 == 1 }, "d\(tensor.name) written for a state tensor",
                        sourceLocation: sourceLocation)
                start += tensor.count
                continue
            }
            assertClose(dParameters[range].map { Double($0) - 1 }, Array(numerical[range]),
                        absolute: gradientAbsoluteTolerance, relative: gradientRelativeTolerance,
                        "d\(tensor.name)", sourceLocation: sourceLocation)
            start += tensor.count
        }
    }
    #expect(dInput.contains { $0 != 1 } || numericalInput.allSatisfy { $0 == 0 }, "dInput untouched",
            sourceLocation: sourceLocation)
}
