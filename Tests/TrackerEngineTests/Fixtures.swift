// Shared test fixtures: seeded random arrays, Gaussian-blob datasets and a naive Double forward pass.
import TrackerEngine

/// `count` uniform values in [−scale, scale) from `generator`.
func uniformFloats(_ count: Int, scale: Float = 1, generator: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in scale * Float(2 * generator.nextUniform() - 1) }
}

/// `classCount` Gaussian blobs in `featureCount` dimensions, `samplesPerClass` samples each, class c centred at
/// `separation`·e_(c mod featureCount) with unit-variance noise scaled by `spread`; samples interleaved by class.
func gaussianBlobs(featureCount: Int = 4, classCount: Int = 3, samplesPerClass: Int = 100,
                   separation: Double = 4, spread: Double = 0.5, seed: UInt64 = 1) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    var features: [Float] = []
    var labels: [Int32] = []
    for _ in 0..<samplesPerClass {
        for label in 0..<classCount {
            for feature in 0..<featureCount {
                let centre = feature == label % featureCount ? separation : 0
                features.append(Float(centre + spread * generator.nextGaussian()))
            }
            labels.append(Int32(label))
        }
    }
    return try Dataset(name: "blobs", featureCount: featureCount, classCount: classCount,
                       features: features, labels: labels)
}

/// Post-activation outputs of every layer for one sample, computed naively in Double from copied parameters.
func naiveForward(_ sample: [Float], layers: [LayerParameters], activations: [Activation?]) -> [[Double]] {
    var current = sample.map(Double.init)
    var outputs: [[Double]] = []
    for (parameters, activation) in zip(layers, activations) {
        var next = [Double](repeating: 0, count: parameters.outputSize)
        for unit in 0..<parameters.outputSize {
            var z = Double(parameters.bias[unit])
            for input in 0..<parameters.inputSize {
                z += Double(parameters.weight[unit * parameters.inputSize + input]) * current[input]
            }
            next[unit] = naiveActivation(activation, z)
        }
        outputs.append(next)
        current = next
    }
    return outputs
}

func naiveActivation(_ activation: Activation?, _ z: Double) -> Double {
    switch activation {
    case nil: z
    case .relu: max(0, z)
    case .leakyrelu: z > 0 ? z : 0.01 * z
    case .tanh: hyperbolicTangent(z)
    case .sigmoid: 1 / (1 + exponential(-z))
    case .gelu: 0.5 * z * (1 + errorFunction(z / 2.0.squareRoot()))
    }
}

/// One dense layer's parameters, copied out of a trainer.
struct LayerParameters {
    let inputSize: Int
    let outputSize: Int
    /// (outputSize, inputSize) row-major.
    let weight: [Float]
    let bias: [Float]
}

extension Trainer {
    /// The weight and bias of architecture layer `index`, which must be dense.
    func parameters(ofLayer index: Int) -> LayerParameters {
        let networkIndex = network.architectureLayerIndex.firstIndex(of: index)!
        let layer = network.layers[networkIndex] as! DenseLayer
        let all = parameters(ofNetworkLayer: networkIndex)
        let weightCount = layer.outputSize * layer.inputSize
        return LayerParameters(inputSize: layer.inputSize, outputSize: layer.outputSize,
                               weight: Array(all[..<weightCount]), bias: Array(all[weightCount...]))
    }
}

/// Softmax cross-entropy of one row in Double: (loss, arg-max).
func naiveCrossEntropy(_ logits: [Double], label: Int) -> (loss: Double, predicted: Int) {
    let maximum = logits.max()!
    let logSum = naturalLog(logits.reduce(0) { $0 + exponential($1 - maximum) }) + maximum
    return (logSum - logits[label], logits.firstIndex(of: maximum)!)
}

/// Sample `index` of `data` as an array.
func row(_ data: Dataset, _ index: Int) -> [Float] {
    Array(data.features[index * data.featureCount ..< (index + 1) * data.featureCount])
}
