// Weight initialisation schemes.

/// How a layer's weights are drawn before training; biases always start at zero.
public enum Initialization: String, Codable, CaseIterable, Sendable {
    /// He (Kaiming) normal: w ~ N(0, 2 / fanIn); suited to ReLU.
    case he
    /// Glorot (Xavier) uniform: w ~ U(−a, a) with a = √(6 / (fanIn + fanOut)); suited to tanh and sigmoid.
    case glorot

    /// Fills `weights` with independent draws for a layer with the given fan-in and fan-out.
    public func fill(_ weights: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
                     generator: inout SeededGenerator) {
        switch self {
        case .he:
            let standardDeviation = (2.0 / Double(fanIn)).squareRoot()
            for index in weights.indices {
                weights[index] = Float(standardDeviation * generator.nextGaussian())
            }
        case .glorot:
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            for index in weights.indices {
                weights[index] = Float(limit * (2 * generator.nextUniform() - 1))
            }
        }
    }
}
