// Trainer: validation, step bookkeeping, determinism, learning, momentum, evaluation and hidden activations.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport

@Suite("Trainer")
struct TrainerTests {
    private func blobsArchitecture(_ spec: String = "16") throws -> Architecture {
        try Architecture.parse(spec, inputSize: 4, outputSize: 3, defaultActivation: .relu)
    }

    @Test("options round-trip through JSON; missing keys take the defaults")
    func optionsCodable() throws {
        let options = TrainingOptions(learningRate: 0.1, momentum: 0.5, batchSize: 16, epochs: 3, seed: 9,
                                      initialization: .glorot)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(options)) == options)
        let adam = TrainingOptions(learningRate: 0.001, optimizer: OptimizerSettings(kind: .adamw, weightDecay: 0.01),
                                   schedule: .cosine(minimumFactor: 0.1), warmupSteps: 5, gradientClipNorm: 1)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(adam)) == adam)
        #expect(TrainingOptions() == TrainingOptions(learningRate: 0.05, momentum: 0.9, batchSize: 32, epochs: 30,
                                                     seed: 0, initialization: .he))
    }

    @Test("invalid options and mismatched data are rejected")
    func validation() throws {
        let data = try gaussianBlobs(samplesPerClass: 5)
        let architecture = try blobsArchitecture()
        func message(_ options: TrainingOptions, _ architecture: Architecture? = nil, _ dataset: Dataset? = nil) -> String? {
            do {
                _ = try Trainer(architecture: architecture ?? (try! blobsArchitecture()), options: options,
                                training: dataset ?? data)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message(TrainingOptions()) == nil)
        #expect(message(TrainingOptions(learningRate: 0)) == "learning rate must be positive and finite, got 0.0")
        #expect(message(TrainingOptions(learningRate: .infinity))?.contains("learning rate") == true)
        #expect(message(TrainingOptions(learningRate: .nan))?.contains("learning rate") == true)
        #expect(message(TrainingOptions(momentum: 1)) == "momentum must be in [0, 1), got 1.0")
        #expect(message(TrainingOptions(momentum: -0.1))?.contains("momentum") == true)
        #expect(message(TrainingOptions(batchSize: 0)) == "batch size must be at least 1, got 0")
        #expect(message(TrainingOptions(epochs: 0)) == "epochs must be at least 1, got 0")
        let wide = try Architecture.parse("16", inputSize: 5, outputSize: 3, defaultActivation: .relu)
        #expect(message(TrainingOptions(), wide) == "dataset 'blobs' has samples of shape 4 but architecture 5-16relu-3 takes 5")
        let fourClasses = try Architecture.parse("16", inputSize: 4, outputSize: 4, defaultActivation: .relu)
        #expect(message(TrainingOptions(), fourClasses)?.contains("has 3 classes") == true)
        let empty = try Dataset(name: "empty", featureCount: 4, classCount: 3, features: [], labels: [])
        #expect(message(TrainingOptions(), architecture, empty) == "dataset 'empty' is empty: nothing to train on")
        let linearOutput = Architecture(inputSize: 4, layers: [LayerSpec(units: 3, activation: .relu)])
        #expect(message(TrainingOptions(), linearOutput)?.contains("output layer must be linear") == true)
    }

    @Test("steps count updates and epochs; the last batch may be smaller")
    func bookkeeping() throws {
        let data = try gaussianBlobs(samplesPerClass: 3, seed: 2).subset(Array(0..<8), name: "eight")  // 8 samples
        let trainer = try Trainer(architecture: try blobsArchitecture(), options: TrainingOptions(batchSize: 3, epochs: 2),
                                  training: data)
        #expect(trainer.stepsPerEpoch == 3 && trainer.totalSteps == 6 && trainer.completedSteps == 0)
        let results = (0..<6).map { _ in trainer.step() }
        #expect(results.map(\.step) == [1, 2, 3, 4, 5, 6])
        #expect(results.map(\.epoch) == [0, 0, 0, 1, 1, 1])
        #expect(trainer.completedSteps == 6)
        // Batches of 3, 3, 2: accuracies are multiples of 1/3, 1/3, 1/2.
        for (result, size) in zip(results, [3, 3, 2, 3, 3, 2]) {
            let hits = result.accuracy * Float(size)
            #expect(abs(hits - hits.rounded()) < 1e-5, "accuracy \(result.accuracy) of a batch of \(size)")
            #expect(result.learningRate == 0.05 && result.loss.isFinite)
        }
    }

    @Test("same seed gives bit-identical steps; another seed differs")
    func determinism() throws {
        let data = try gaussianBlobs()
        func run(seed: UInt64) throws -> ([StepResult], [Float]) {
            let trainer = try Trainer(architecture: try blobsArchitecture("16,8:tanh"),
                                      options: TrainingOptions(batchSize: 32, epochs: 3, seed: seed), training: data)
            let results = (0..<20).map { _ in trainer.step() }
            return (results, trainer.parameters(ofLayer: 0).weight)
        }
        let (first, firstWeights) = try run(seed: 7)
        let (second, secondWeights) = try run(seed: 7)
        let (other, _) = try run(seed: 8)
        #expect(first.map(\.loss.bitPattern) == second.map(\.loss.bitPattern))
        #expect(first == second)
        #expect(firstWeights.map(\.bitPattern) == secondWeights.map(\.bitPattern))
        #expect(first.map(\.loss) != other.map(\.loss))
    }

    @Test("a 16-unit MLP separates three Gaussian blobs")
    func learns() throws {
        let data = try gaussianBlobs(featureCount: 4, classCount: 3, samplesPerClass: 100)
        let trainer = try Trainer(architecture: try blobsArchitecture(),
                                  options: TrainingOptions(batchSize: 32, epochs: 5, seed: 1), training: data)
        let before = trainer.evaluate(data)
        var losses: [Float] = []
        while trainer.completedSteps < trainer.totalSteps { losses.append(trainer.step().loss) }
        let after = trainer.evaluate(data)
        #expect(after.sampleCount == 300)
        #expect(after.accuracy >= 0.95, "train accuracy \(after.accuracy)")
        #expect(after.loss < before.loss / 4, "loss \(before.loss) → \(after.loss)")
        let firstEpoch = losses[..<trainer.stepsPerEpoch].reduce(0, +)
        let lastEpoch = losses[(losses.count - trainer.stepsPerEpoch)...].reduce(0, +)
        #expect(lastEpoch < firstEpoch)
    }

    @Test("two full-batch steps apply momentum SGD to the exact softmax-regression gradient")
    func momentumSteps() throws {
        // No hidden layer: logits = W x + b, so the gradient is easy to write down in Double.
        let data = try Dataset(name: "four", featureCount: 2, classCount: 2,
                               features: [1, 0.5, -1, 0.25, 0.5, -1, -0.5, -0.5], labels: [0, 1, 1, 0])
        let architecture = try Architecture.parse("", inputSize: 2, outputSize: 2, defaultActivation: .relu)
        let (learningRate, momentum): (Float, Float) = (0.5, 0.8)
        let trainer = try Trainer(architecture: architecture,
                                  options: TrainingOptions(learningRate: learningRate, momentum: momentum,
                                                           batchSize: 4, epochs: 2, seed: 3),
                                  training: data)
        let initial = trainer.parameters(ofLayer: 0)
        var parameters = (initial.weight + initial.bias).map(Double.init)   // W (2, 2) then b (2)
        var velocity = [Double](repeating: 0, count: 6)
        for _ in 0..<2 {
            var gradient = [Double](repeating: 0, count: 6)
            for sample in 0..<4 {
                let x = row(data, sample).map(Double.init)
                let logits = (0..<2).map { c in parameters[c * 2] * x[0] + parameters[c * 2 + 1] * x[1] + parameters[4 + c] }
                let maximum = logits.max()!
                let e = logits.map { exponential($0 - maximum) }
                for c in 0..<2 {
                    let d = (e[c] / (e[0] + e[1]) - (Int(data.labels[sample]) == c ? 1 : 0)) / 4
                    gradient[c * 2] += d * x[0]
                    gradient[c * 2 + 1] += d * x[1]
                    gradient[4 + c] += d
                }
            }
            for index in 0..<6 {
                velocity[index] = Double(momentum) * velocity[index] + gradient[index]
                parameters[index] -= Double(learningRate) * velocity[index]
            }
            trainer.step()
        }
        let trained = trainer.parameters(ofLayer: 0)
        assertClose((trained.weight + trained.bias).map(Double.init), parameters, absolute: 1e-6, relative: 1e-5)
        #expect(trained.weight != initial.weight)
    }

    @Test("evaluate matches a naive pass over every chunk")
    func evaluation() throws {
        let data = try gaussianBlobs(samplesPerClass: 100, seed: 4)   // 300 samples: three chunks of ≤ 128
        let architecture = try blobsArchitecture("5:tanh,4:sigmoid")
        let trainer = try Trainer(architecture: architecture, options: TrainingOptions(epochs: 1, seed: 2), training: data)
        for _ in 0..<5 { trainer.step() }
        let layers = (0..<3).map(trainer.parameters(ofLayer:))
        var lossSum = 0.0
        var correct = 0
        for sample in 0..<data.count {
            let logits = naiveForward(row(data, sample), layers: layers, activations: architecture.layers.map(\.activation)).last!
            let (loss, predicted) = naiveCrossEntropy(logits, label: Int(data.labels[sample]))
            lossSum += loss
            if predicted == Int(data.labels[sample]) { correct += 1 }
        }
        let evaluation = trainer.evaluate(data)
        #expect(evaluation.sampleCount == 300)
        assertClose(evaluation.loss, lossSum / 300, absolute: 1e-6, relative: 1e-5)
        assertClose(evaluation.accuracy, Double(correct) / 300, absolute: 1e-12, relative: 0)
        // Evaluating changes nothing: the same answer twice.
        #expect(trainer.evaluate(data) == evaluation)
        let empty = try Dataset(name: "none", featureCount: 4, classCount: 3, features: [], labels: [])
        #expect(trainer.evaluate(empty).sampleCount == 0 && trainer.evaluate(empty).loss.isNaN)
    }

    @Test("probeActivations returns each hidden layer's post-activation outputs")
    func probeActivations() throws {
        let data = try gaussianBlobs(samplesPerClass: 60, seed: 5)    // 180 samples: two chunks
        let architecture = try blobsArchitecture("5:tanh,3:relu")
        let trainer = try Trainer(architecture: architecture, options: TrainingOptions(epochs: 1, seed: 6), training: data)
        for _ in 0..<3 { trainer.step() }
        let probe = data.subset(Array(0..<150), name: "probe")
        let activations = trainer.probeActivations(probe)
        #expect(activations.map(\.layerIndex) == [0, 1])
        #expect(activations.allSatisfy { $0.reduction == .none })
        #expect(activations.map(\.name) == ["dense1", "dense2"])
        #expect(activations.map(\.units) == [5, 3])
        #expect(activations.allSatisfy { $0.samples == 150 && $0.values.count == 150 * $0.units })
        let layers = (0..<3).map(trainer.parameters(ofLayer:))
        var expected: [[Double]] = [[], []]
        for sample in 0..<probe.count {
            let outputs = naiveForward(row(probe, sample), layers: layers, activations: architecture.layers.map(\.activation))
            expected[0] += outputs[0]
            expected[1] += outputs[1]
        }
        for index in 0..<2 {
            assertClose(activations[index].values.map(Double.init), expected[index], absolute: 1e-5, relative: 1e-5,
                        "layer \(index)")
        }
        #expect(activations[1].values.allSatisfy { $0 >= 0 })   // ReLU outputs
        // No hidden layer, no entry.
        let shallow = try Trainer(architecture: try blobsArchitecture(""), options: TrainingOptions(epochs: 1),
                                  training: data)
        #expect(shallow.probeActivations(probe).isEmpty)
    }

    @Test("a diverging run reports non-finite losses instead of crashing")
    func divergence() throws {
        let data = try gaussianBlobs(samplesPerClass: 20)
        let trainer = try Trainer(architecture: try blobsArchitecture(),
                                  options: TrainingOptions(learningRate: 1e30, batchSize: 8, epochs: 2), training: data)
        let losses = (0..<10).map { _ in trainer.step().loss }
        #expect(losses.contains { !$0.isFinite })
        #expect(trainer.completedSteps == 10)
        #expect(trainer.evaluate(data).sampleCount == 60)
    }
}
