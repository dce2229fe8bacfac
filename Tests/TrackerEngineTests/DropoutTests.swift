// Dropout: the gradient through a fixed mask, the mask's rule and statistics, evaluation identity, and seeding.
import Testing
import TrackerEngine
import TrackerNumerics
import TrackerTestSupport

@Suite struct DropoutTests {
    /// The layer's training output for `input` under (seed, step, layer).
    func trainingOutput(_ layer: DropoutLayer, _ input: [Float], batchSize: Int, seed: UInt64, step: Int,
                        layerIndex: Int) -> [Float] {
        var output = [Float](repeating: 0, count: input.count)
        var cache = [Float](repeating: 0, count: layer.cacheCount(batchSize: batchSize))
        var scratch: [Float] = [0]
        layer.forward(output: &output, input: input, parameters: [0], cache: &cache, scratch: &scratch,
                      context: LayerContext(mode: .training, batchSize: batchSize, seed: seed, step: step,
                                            layerIndex: layerIndex))
        return output
    }

    @Test("dropout backward through a fixed mask, by central differences", arguments: [0.0, 0.3, 0.5])
    func gradient(rate: Double) {
        var generator = SeededGenerator(seed: 40)
        let layer = DropoutLayer(rate: rate, shape: Shape([2, 3]))
        let input = uniformFloats(4 * 6, generator: &generator)
        let coefficients = uniformFloats(4 * 6, generator: &generator)
        // Every call of the check uses the same context, so the same mask: the layer is linear in its input.
        checkLayerGradients(layer, input: input, parameters: [], coefficients: coefficients, batchSize: 4)
        checkLayerGradients(layer, input: input, parameters: [], coefficients: coefficients, batchSize: 4,
                            mode: .evaluation)
    }

    @Test("the mask follows the documented rule: keep value i when draw i >> 11 ≥ ⌊rate · 2⁵³⌋, scale by 1/(1 − rate)")
    func maskRule() {
        let layer = DropoutLayer(rate: 0.3, shape: .features(50))
        let input = (0..<200).map { Float($0 % 17) + 1 }
        let output = trainingOutput(layer, input, batchSize: 4, seed: 9, step: 12, layerIndex: 3)
        var generator = SeededGenerator(seed: SeededGenerator.mix(9, 12, 3))
        let threshold = UInt64(0.3 * 0x1p53)
        for index in input.indices {
            let kept = generator.next() >> 11 >= threshold
            #expect(output[index] == (kept ? input[index] * Float(1 / 0.7) : 0), "value \(index)")
        }
    }

    @Test("the allocation-free three-value mix is the variadic mix: chained SplitMix64 finalisers")
    func mixing() {
        func step(_ hash: UInt64, _ value: UInt64) -> UInt64 {
            SplitMix64.finalize((hash ^ value) &+ 0x9E37_79B9_7F4A_7C15)
        }
        let start: UInt64 = 0x7472_6163_6B65_7221
        #expect(SeededGenerator.mix(9, 12, 3) == step(step(step(start, 9), 12), 3))
        #expect(SeededGenerator.mix(9, 12) == step(step(start, 9), 12))
        #expect(SeededGenerator.mix(9, 12, 3, 4) == step(step(step(step(start, 9), 12), 3), 4))
    }

    @Test("about rate of the values are zeroed, and the mean is kept")
    func maskStatistics() {
        let layer = DropoutLayer(rate: 0.3, shape: .features(1000))
        let input = [Float](repeating: 1, count: 10_000)
        let output = trainingOutput(layer, input, batchSize: 10, seed: 1, step: 0, layerIndex: 0)
        let dropped = Double(output.filter { $0 == 0 }.count) / 10_000
        // Binomial(10000, 0.3): σ = √(0.3 · 0.7 / 10000) ≈ 0.0046; 4σ ≈ 0.018.
        #expect(abs(dropped - 0.3) < 0.018, "dropped fraction \(dropped)")
        let mean = output.reduce(0.0) { $0 + Double($1) } / 10_000
        #expect(abs(mean - 1) < 0.04, "mean \(mean)")       // 1/0.7 · Binomial: σ ≈ 0.0065
        #expect(Set(output) == [0, Float(1 / 0.7)])
    }

    @Test("evaluation passes are the identity")
    func evaluationIdentity() {
        var generator = SeededGenerator(seed: 2)
        let layer = DropoutLayer(rate: 0.5, shape: Shape([2, 2, 2]))
        let input = uniformFloats(3 * 8, generator: &generator)
        var cache: [Float] = []
        #expect(runForward(layer, input: input, parameters: [], batchSize: 3, mode: .evaluation, cache: &cache) == input)
    }

    @Test("same (seed, step, layer) → the same mask; another seed, step or layer → another mask")
    func seeding() {
        let layer = DropoutLayer(rate: 0.5, shape: .features(64))
        let input = [Float](repeating: 1, count: 128)
        let mask = trainingOutput(layer, input, batchSize: 2, seed: 5, step: 7, layerIndex: 2)
        #expect(trainingOutput(layer, input, batchSize: 2, seed: 5, step: 7, layerIndex: 2) == mask)
        #expect(trainingOutput(layer, input, batchSize: 2, seed: 6, step: 7, layerIndex: 2) != mask)
        #expect(trainingOutput(layer, input, batchSize: 2, seed: 5, step: 8, layerIndex: 2) != mask)
        #expect(trainingOutput(layer, input, batchSize: 2, seed: 5, step: 7, layerIndex: 3) != mask)
    }
}
