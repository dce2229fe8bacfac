// Batch normalisation of dense features and conv channels: batch statistics to train, running statistics to evaluate.
//
// Legend: B batch, C channels (features of a vector), P positions per channel (H·W of an image, 1 of a vector),
// M = B·P values per channel in a batch. A value (b, c, p) sits at (b·C + c)·P + p.

/// Batch normalisation (Ioffe & Szegedy, 2015) per feature of a vector input, or per channel of a C×H×W input over
/// the batch and all H×W positions.
///
/// Training pass: with the batch mean μ_c and biased variance σ²_c = (1/M) Σ (x − μ_c)² of channel c,
/// x̂ = (x − μ_c) / √(σ²_c + ε) and y = γ_c · x̂ + β_c. Evaluation pass (evaluations and every snapshot):
/// the same with the running mean and variance in place of μ_c and σ²_c, so a sample's output does not depend on
/// the rest of its batch. ε = 1e-5 and the momentum m = 0.1 are PyTorch's defaults.
///
/// Running statistics are updated after each training forward (``updateState(parameters:cache:context:)``), as
/// PyTorch does: mean ← (1 − m)·mean + m·μ_c, variance ← (1 − m)·variance + m·σ²_c·M/(M − 1) (the unbiased batch
/// variance). With M = 1 a batch says nothing about the variance, so the running variance is left as it is; the
/// training output is then β (x̂ = 0).
///
/// Parameters, in order, each (C): `scale` γ (starts at 1) and `shift` β (starts at 0), both trained with role
/// ``ParameterRole/bias``, so weight decay never applies to them: decaying γ would shrink the normalised output
/// towards 0 and fight the normalisation rather than regularise a weight (common practice: timm, for one, exempts
/// every one-dimensional parameter from weight decay); then `running_mean` (starts at 0) and `running_variance` (starts at 1), role
/// ``ParameterRole/state``: never trained, and backward leaves their gradients alone.
public struct BatchNormLayer: Layer, Hashable {
    /// Added to the variance before the square root.
    public static let epsilon: Float = 1e-5
    /// Weight of the newest batch in the running statistics.
    public static let momentum: Float = 0.1

    public let inputShape: Shape
    /// Features of a vector input, channels of an image input.
    public let channels: Int
    /// Values per channel per sample: H·W of an image, 1 of a vector.
    public let positions: Int

    /// A layer over `shape`: a vector (per feature) or C×H×W (per channel).
    public init(shape: Shape) {
        precondition(shape.rank == 1 || shape.rank == 3, "batch norm needs a vector or a C×H×W input, got \(shape)")
        inputShape = shape
        channels = shape.rank == 3 ? shape.dimensions[0] : shape.count
        positions = shape.count / channels
    }

    public var outputShape: Shape { inputShape }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor(name: "scale", role: .bias, shape: [channels], initializer: .constant(1)),
         ParameterTensor(name: "shift", role: .bias, shape: [channels], initializer: .zeros),
         ParameterTensor(name: "running_mean", role: .state, shape: [channels], initializer: .zeros),
         ParameterTensor(name: "running_variance", role: .state, shape: [channels], initializer: .constant(1))]
    }

    /// Batch mean (C), batch variance (C) and 1/√(σ² + ε) (C), then x̂ (B, C, P).
    public func cacheCount(batchSize: Int) -> Int { 3 * channels + batchSize * channels * positions }

    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let (batchSize, channels, positions) = (context.batchSize, channels, positions)
        let scale = parameters
        let shift = parameters + channels
        guard context.mode == .training else {
            let (runningMean, runningVariance) = (parameters + 2 * channels, parameters + 3 * channels)
            for channel in 0..<channels {
                let inverse = 1 / (runningVariance[channel] + Self.epsilon).squareRoot()
                let (factor, mean, offset) = (scale[channel] * inverse, runningMean[channel], shift[channel])
                for sample in 0..<batchSize {
                    let start = (sample * channels + channel) * positions
                    for index in start ..< start + positions { output[index] = factor * (input[index] - mean) + offset }
                }
            }
            return
        }
        let count = Double(batchSize * positions)
        let normalized = cache + 3 * channels
        for channel in 0..<channels {
            var sum = 0.0
            for sample in 0..<batchSize {
                let start = (sample * channels + channel) * positions
                for index in start ..< start + positions { sum += Double(input[index]) }
            }
            let mean = sum / count
            var squares = 0.0
            for sample in 0..<batchSize {
                let start = (sample * channels + channel) * positions
                for index in start ..< start + positions {
                    let deviation = Double(input[index]) - mean
                    squares += deviation * deviation
                }
            }
            let variance = squares / count
            let inverse = Float(1 / (variance + Double(Self.epsilon)).squareRoot())
            cache[channel] = Float(mean)
            cache[channels + channel] = Float(variance)
            cache[2 * channels + channel] = inverse
            let (meanValue, gamma, beta) = (Float(mean), scale[channel], shift[channel])
            for sample in 0..<batchSize {
                let start = (sample * channels + channel) * positions
                for index in start ..< start + positions {
                    let xHat = (input[index] - meanValue) * inverse
                    normalized[index] = xHat
                    output[index] = gamma * xHat + beta
                }
            }
        }
    }

    /// Training: dγ_c += Σ dy·x̂, dβ_c += Σ dy, dx += γ_c/√(σ²_c + ε) · (dy − mean(dy) − x̂ · mean(dy·x̂)), the means
    /// over the channel's M values (the batch statistics depend on every x). Evaluation: dγ_c += Σ dy·x̂,
    /// dβ_c += Σ dy, dx += dy · γ_c/√(running variance + ε). Sums in Double.
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let (batchSize, channels, positions) = (context.batchSize, channels, positions)
        let (dScale, dShift) = (dParameters, dParameters + channels)
        let training = context.mode == .training
        let normalized = cache + 3 * channels
        let count = Double(batchSize * positions)
        for channel in 0..<channels {
            let inverse = training ? cache[2 * channels + channel]
                : 1 / (parameters[3 * channels + channel] + Self.epsilon).squareRoot()
            let mean = training ? cache[channel] : parameters[2 * channels + channel]
            var sumGradient = 0.0
            var sumGradientXHat = 0.0
            for sample in 0..<batchSize {
                let start = (sample * channels + channel) * positions
                for index in start ..< start + positions {
                    let xHat = training ? normalized[index] : (input[index] - mean) * inverse
                    sumGradient += Double(dOutput[index])
                    sumGradientXHat += Double(dOutput[index] * xHat)
                }
            }
            dScale[channel] += Float(sumGradientXHat)
            dShift[channel] += Float(sumGradient)
            guard let dInput else { continue }
            let factor = parameters[channel] * inverse
            let (meanGradient, meanGradientXHat) = training
                ? (Float(sumGradient / count), Float(sumGradientXHat / count)) : (0, 0)
            for sample in 0..<batchSize {
                let start = (sample * channels + channel) * positions
                for index in start ..< start + positions {
                    let xHat = training ? normalized[index] : 0
                    dInput[index] += factor * (dOutput[index] - meanGradient - xHat * meanGradientXHat)
                }
            }
        }
    }

    /// Moves the running statistics towards the batch statistics of the last training forward (see the type's doc).
    public func updateState(parameters: UnsafeMutablePointer<Float>, cache: UnsafePointer<Float>,
                            context: LayerContext) {
        guard context.mode == .training else { return }
        let count = context.batchSize * positions
        let (runningMean, runningVariance) = (parameters + 2 * channels, parameters + 3 * channels)
        let momentum = Self.momentum
        for channel in 0..<channels {
            runningMean[channel] = (1 - momentum) * runningMean[channel] + momentum * cache[channel]
            if count > 1 {
                let unbiased = cache[channels + channel] * Float(count) / Float(count - 1)
                runningVariance[channel] = (1 - momentum) * runningVariance[channel] + momentum * unbiased
            }
        }
    }
}
