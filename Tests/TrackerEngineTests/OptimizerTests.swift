// Optimisers, schedules, clipping and initialisation against hand-computed values.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite("Optimisers, schedules, clipping, initialisation")
struct OptimizerTests {
    /// One weight tensor [0, 2) and one bias tensor [2, 3).
    private let segments = [
        ParameterSegment(layerIndex: 0, name: "weight", role: .weight, range: 0..<2),
        ParameterSegment(layerIndex: 0, name: "bias", role: .bias, range: 2..<3),
    ]

    private func run(_ settings: OptimizerSettings, _ gradients: [[Float]], learningRate: Float = 0.1,
                     start: [Float] = [1, -2, 0.5]) -> [Float] {
        let optimizer = makeOptimizer(settings, segments: segments)
        var parameters = start
        for gradient in gradients {
            optimizer.update(parameters: &parameters, gradients: gradient, learningRate: learningRate)
        }
        return parameters
    }

    @Test("momentum SGD matches a hand-computed two-step example")
    func momentum() {
        // lr 0.1, μ 0.9, w₀ = (1, −2), b₀ = 0.5.
        // Step 1, g = (0.5, 1 | 0):   v = (0.5, 1);                       w = (0.95, −2.1)
        // Step 2, g = (−1, 0.5 | 0):  v = 0.9·(0.5, 1) + g = (−0.55, 1.4); w = (1.005, −2.24)
        let result = run(OptimizerSettings(kind: .sgd, momentum: 0.9), [[0.5, 1, 0], [-1, 0.5, 0]])
        assertClose(result.map(Double.init), [1.005, -2.24, 0.5], absolute: 1e-6, relative: 0)
    }

    @Test("Nesterov SGD: w −= lr·(g + μv)")
    func nesterov() {
        // Step 1: v = 0.5 → w = 1 − 0.1·(0.5 + 0.45) = 0.905. Step 2: g = −1, v = 0.45 − 1 = −0.55,
        // w = 0.905 − 0.1·(−1 + 0.9·−0.55) = 0.905 + 0.1495 = 1.0545.
        let result = run(OptimizerSettings(kind: .sgd, momentum: 0.9, nesterov: true), [[0.5, 0, 0], [-1, 0, 0]])
        assertClose(Double(result[0]), 1.0545, absolute: 1e-6, relative: 0)
    }

    @Test("weight decay reaches weights, never biases")
    func weightDecayRoles() {
        // Plain SGD, λ = 0.5, zero gradients: w ← w − lr·λ·w = 0.95 w; the bias stays.
        let result = run(OptimizerSettings(kind: .sgd, momentum: 0, weightDecay: 0.5), [[0, 0, 0]])
        assertClose(result.map(Double.init), [0.95, -1.9, 0.5], absolute: 1e-7, relative: 0)
        let adamW = run(OptimizerSettings(kind: .adamw, weightDecay: 0.5), [[0, 0, 0]])
        assertClose(adamW.map(Double.init), [0.95, -1.9, 0.5], absolute: 1e-7, relative: 0)
    }

    @Test("non-trained state is never touched")
    func stateUntouched() {
        let optimizer = makeOptimizer(OptimizerSettings(kind: .adam, weightDecay: 0.1), segments: [
            ParameterSegment(layerIndex: 0, name: "running_mean", role: .state, range: 0..<2),
        ])
        var parameters: [Float] = [3, 4]
        optimizer.update(parameters: &parameters, gradients: [1, 1], learningRate: 1)
        #expect(parameters == [3, 4])
    }

    @Test("Adam: the first step moves every parameter by lr·sign(g); the second matches the formula")
    func adam() {
        // t = 1: m̂ = g, v̂ = g², so Δ = lr·g/(|g| + ε) ≈ lr·sign(g).
        let first = run(OptimizerSettings(kind: .adam), [[0.5, -3, 0.01]])
        assertClose(first.map(Double.init), [0.9, -1.9, 0.4], absolute: 1e-5, relative: 0)
        // t = 2 with g₁ = 0.5, g₂ = −1 on the first weight:
        let (b1, b2) = (0.9, 0.999)
        let m = (1 - b1) * b1 * 0.5 + (1 - b1) * -1.0
        let v = (1 - b2) * b2 * 0.25 + (1 - b2) * 1.0
        let step = 0.1 * (m / (1 - b1 * b1)) / ((v / (1 - b2 * b2)).squareRoot() + 1e-8)
        let second = run(OptimizerSettings(kind: .adam), [[0.5, 0, 0], [-1, 0, 0]])
        assertClose(Double(second[0]), 0.9 - step, absolute: 1e-6, relative: 0)
    }

    @Test("settings problems name the setting")
    func problems() {
        #expect(OptimizerSettings(momentum: 1).problem?.setting == "momentum")
        #expect(OptimizerSettings(kind: .adam, nesterov: true).problem?.setting == "nesterov")
        #expect(OptimizerSettings(kind: .adam, beta2: 1).problem?.setting == "beta2")
        #expect(OptimizerSettings(weightDecay: -1).problem?.setting == "weight_decay")
        #expect(TrainingOptions(learningRate: -1).problem?.description == "learning rate must be positive and finite, got -1.0")
        #expect(TrainingOptions(schedule: .step(every: 0, factor: 0.5)).problem?.setting == "lr_schedule")
        #expect(TrainingOptions(gradientClipNorm: 0).problem?.setting == "gradient_clip_norm")
        #expect(TrainingOptions(initialization: InitializationOptions(scale: 0)).problem?.setting == "init_scale")
        #expect(TrainingOptions().problem == nil)
    }

    @Test("schedules: constant, step, cosine, warm-up")
    func schedules() {
        #expect(LearningRateSchedule.constant.rate(base: 0.1, step: 500, totalSteps: 1000) == 0.1)
        let step = LearningRateSchedule.step(every: 100, factor: 0.5)
        #expect(step.rate(base: 0.8, step: 99, totalSteps: 1000) == 0.8)
        #expect(step.rate(base: 0.8, step: 100, totalSteps: 1000) == 0.4)
        #expect(step.rate(base: 0.8, step: 250, totalSteps: 1000) == 0.2)
        let cosine = LearningRateSchedule.cosine(minimumFactor: 0.1)
        assertClose(cosine.rate(base: 1, step: 0, totalSteps: 101), 1, absolute: 1e-12, relative: 0)
        assertClose(cosine.rate(base: 1, step: 50, totalSteps: 101), 0.55, absolute: 1e-12, relative: 0)
        assertClose(cosine.rate(base: 1, step: 100, totalSteps: 101), 0.1, absolute: 1e-12, relative: 0)
        // Warm-up over 4 steps: 0.25, 0.5, 0.75, 1 of the base, then the schedule from its start.
        let warm = (0..<6).map { LearningRateSchedule.constant.rate(base: 2, step: $0, totalSteps: 10, warmupSteps: 4) }
        #expect(warm == [0.5, 1, 1.5, 2, 2, 2])
        assertClose(cosine.rate(base: 1, step: 4, totalSteps: 105, warmupSteps: 4), 1, absolute: 1e-12, relative: 0)
    }

    @Test("clipping scales the global norm down to the limit, never up")
    func clipping() {
        var gradients: [Float] = [3, 4, 12]      // norm 13
        let norm = GradientClipping.norm(gradients, segments: [
            ParameterSegment(layerIndex: 0, name: "weight", role: .weight, range: 0..<2),
            ParameterSegment(layerIndex: 0, name: "bias", role: .bias, range: 2..<3),
        ])
        #expect(norm == 13)
        GradientClipping.clip(&gradients, count: 3, norm: norm, maxNorm: 6.5)
        assertClose(gradients.map(Double.init), [1.5, 2, 6], absolute: 1e-5, relative: 0)
        var small: [Float] = [0.3, 0.4]
        GradientClipping.clip(&small, count: 2, norm: 0.5, maxNorm: 1)
        #expect(small == [0.3, 0.4])
    }

    @Test("He, Glorot and LeCun draw weights with the right spread, times the scale; biases start at zero",
          arguments: Initialization.allCases)
    func initialization(scheme: Initialization) throws {
        let network = try Network(architecture: Architecture(inputSize: 400, layers: [.dense(100, .relu), .dense(10)]),
                                  capacity: 1)
        for scale in [1.0, 0.5] {
            var generator = SeededGenerator(seed: 4)
            network.initialize(InitializationOptions(scheme: scheme, scale: scale), generator: &generator)
            let weights = network.parameters[network.parameterSegments[0].range].map(Double.init)
            let mean = weights.reduce(0, +) / Double(weights.count)
            let variance = weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)
            // He: 2/400; LeCun 1/400; Glorot: a = √(6/500), var a²/3; times scale². Over 40 000 draws the variance
            // estimate's relative standard error is ≤ 0.7%, so 4% is safe; the mean's σ ≤ 3.5e-4.
            let base = switch scheme { case .he: 2.0 / 400; case .lecun: 1.0 / 400; case .glorot: (6.0 / 500) / 3 }
            assertClose(variance, base * scale * scale, absolute: 0, relative: 0.04, "\(scheme) × \(scale)")
            assertClose(mean, 0, absolute: 1.5e-3, relative: 0, "\(scheme)")
            #expect(network.parameters[network.parameterSegments[1].range].allSatisfy { $0 == 0 })
            if scheme == .glorot {
                #expect(weights.allSatisfy { abs($0) <= scale * (6.0 / 500).squareRoot() })
            }
        }
    }

    @Test("orthogonal blocks satisfy QᵀQ = I, per gate block, times the scale")
    func orthogonal() {
        var generator = SeededGenerator(seed: 9)
        let size = 16
        var values = [Float](repeating: 0, count: 3 * size * size)
        values.withUnsafeMutableBufferPointer {
            InitializationOptions(recurrent: .orthogonal, scale: 2).fill($0, as: .recurrent(blocks: 3, size: size),
                                                                          generator: &generator)
        }
        for block in 0..<3 {
            for i in 0..<size {
                for j in 0..<size {
                    var dot = 0.0
                    for k in 0..<size {
                        dot += Double(values[block * size * size + i * size + k])
                            * Double(values[block * size * size + j * size + k])
                    }
                    assertClose(dot, i == j ? 4 : 0, absolute: 1e-5, relative: 0, "block \(block) (\(i), \(j))")
                }
            }
        }
    }
}

@Suite("Layer context")
struct LayerContextTests {
    @Test("a stochastic layer's generator depends on (seed, step, layer) alone")
    func generatorSeeding() {
        func draws(seed: UInt64, step: Int, layer: Int) -> [UInt64] {
            var generator = LayerContext(mode: .training, batchSize: 4, seed: seed, step: step, layerIndex: layer)
                .generator()
            return (0..<4).map { _ in generator.next() }
        }
        let base = draws(seed: 7, step: 3, layer: 2)
        #expect(draws(seed: 7, step: 3, layer: 2) == base)
        #expect(draws(seed: 8, step: 3, layer: 2) != base)
        #expect(draws(seed: 7, step: 4, layer: 2) != base)
        #expect(draws(seed: 7, step: 3, layer: 1) != base)
        // The batch size and mode do not enter: the same step of the same layer draws the same numbers.
        var evaluation = LayerContext(mode: .evaluation, batchSize: 9, seed: 7, step: 3, layerIndex: 2).generator()
        #expect((0..<4).map { _ in evaluation.next() } == base)
    }
}
