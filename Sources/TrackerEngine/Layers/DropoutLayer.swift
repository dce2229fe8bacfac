// Inverted dropout: a seeded random mask in training passes, the identity in evaluation passes.

/// Inverted dropout (Srivastava et al., 2014): in a training pass each value is zeroed with probability `rate` and the
/// others are scaled by 1/(1 − rate), so a value's expectation is unchanged and evaluation needs no rescaling; in an
/// evaluation pass (evaluations, snapshots) the layer is the identity.
///
/// The mask of a pass comes from ``LayerContext/generator()``, seeded by (run seed, step, layer index) alone: the same
/// run draws the same masks whatever else happened before, and a backward pass sees the mask its forward pass drew
/// (it reads it back from the cache). Value i is kept when the top 53 bits of the generator's i-th draw, read as an
/// integer u, satisfy u ≥ ⌊rate · 2⁵³⌋. No parameters; any shape (element-wise).
public struct DropoutLayer: Layer, Hashable {
    /// Probability that a value is zeroed in a training pass, in [0, 1).
    public let rate: Double
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    public var parameterTensors: [ParameterTensor] { [] }

    public init(rate: Double, shape: Shape) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        inputShape = shape
    }

    /// The factor of every value of a training mask, 0 or 1/(1 − rate), one per value: (B, shape).
    public func cacheCount(batchSize: Int) -> Int { batchSize * inputShape.count }

    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let count = context.batchSize * inputShape.count
        guard context.mode == .training else {
            output.update(from: input, count: count)
            return
        }
        var generator = context.generator()
        let threshold = UInt64(rate * 0x1p53)
        let scale = Float(1 / (1 - rate))
        for index in 0..<count {
            let factor: Float = generator.next() >> 11 >= threshold ? scale : 0
            cache[index] = factor
            output[index] = input[index] * factor
        }
    }

    /// dInput += dOutput ⊙ mask (training; the mask of the matching forward), or dInput += dOutput (evaluation).
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        let count = context.batchSize * inputShape.count
        if context.mode == .training {
            for index in 0..<count { dInput[index] += dOutput[index] * cache[index] }
        } else {
            for index in 0..<count { dInput[index] += dOutput[index] }
        }
    }
}
