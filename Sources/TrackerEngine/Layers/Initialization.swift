// Weight initialisation: the schemes, orthogonal recurrent matrices and a global scale.

/// How a layer's weights are drawn before training; biases start at zero.
public enum Initialization: String, Codable, CaseIterable, Sendable {
    /// He (Kaiming) normal: w ~ N(0, 2 / fanIn); suited to ReLU.
    case he
    /// Glorot (Xavier) uniform: w ~ U(−a, a) with a = √(6 / (fanIn + fanOut)); suited to tanh and sigmoid.
    case glorot
    /// LeCun normal: w ~ N(0, 1 / fanIn); suited to SELU-like and tanh units.
    case lecun

    /// Fills `weights` with independent draws for a layer with the given fan-in and fan-out, times `scale`.
    public func fill(_ weights: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, scale: Double = 1,
                     generator: inout SeededGenerator) {
        switch self {
        case .he, .lecun:
            let standardDeviation = scale * ((self == .he ? 2.0 : 1.0) / Double(fanIn)).squareRoot()
            for index in weights.indices {
                weights[index] = Float(standardDeviation * generator.nextGaussian())
            }
        case .glorot:
            let limit = scale * (6.0 / Double(fanIn + fanOut)).squareRoot()
            for index in weights.indices {
                weights[index] = Float(limit * (2 * generator.nextUniform() - 1))
            }
        }
    }

    /// Fills a (size, size) row-major block with a uniformly random orthogonal matrix times `scale`: a Gaussian
    /// matrix orthonormalised by modified Gram–Schmidt over its rows (in Double), which gives the Q of a QR
    /// decomposition with positive diagonal R, so Q is Haar-distributed (Saxe et al., 2014; as Keras/PyTorch).
    public static func fillOrthogonal(_ block: UnsafeMutableBufferPointer<Float>, size: Int, scale: Double = 1,
                                      generator: inout SeededGenerator) {
        precondition(block.count == size * size, "orthogonal block of \(block.count) values is not \(size)×\(size)")
        var matrix = (0..<(size * size)).map { _ in generator.nextGaussian() }
        for row in 0..<size {
            for previous in 0..<row {
                var dot = 0.0
                for column in 0..<size { dot += matrix[row * size + column] * matrix[previous * size + column] }
                for column in 0..<size { matrix[row * size + column] -= dot * matrix[previous * size + column] }
            }
            var norm = 0.0
            for column in 0..<size { norm += matrix[row * size + column] * matrix[row * size + column] }
            norm = norm.squareRoot()
            for column in 0..<size { matrix[row * size + column] /= norm }
        }
        for index in 0..<(size * size) { block[index] = Float(scale * matrix[index]) }
    }
}

/// How recurrent (hidden-to-hidden) weight matrices start.
public enum RecurrentInitialization: String, Codable, CaseIterable, Sendable {
    /// Orthogonal per gate block (the usual choice for RNNs).
    case orthogonal
    /// The same scheme as the other weights.
    case scheme
}

/// The initialisation of one run: the scheme, the recurrent weights' treatment and a global scale factor.
public struct InitializationOptions: Codable, Hashable, Sendable {
    public var scheme: Initialization
    public var recurrent: RecurrentInitialization
    /// Multiplies every weight draw (not biases): it moves the early phase, so researchers sweep it.
    public var scale: Double

    public init(scheme: Initialization = .he, recurrent: RecurrentInitialization = .orthogonal, scale: Double = 1) {
        self.scheme = scheme
        self.recurrent = recurrent
        self.scale = scale
    }

    /// Fills one tensor as its ``TensorInitializer`` says.
    public func fill(_ values: UnsafeMutableBufferPointer<Float>, as initializer: TensorInitializer,
                     generator: inout SeededGenerator) {
        switch initializer {
        case .zeros:
            values.update(repeating: 0)
        case .constant(let value):
            values.update(repeating: value)
        case .weight(let fanIn, let fanOut):
            scheme.fill(values, fanIn: fanIn, fanOut: fanOut, scale: scale, generator: &generator)
        case .recurrent(let blocks, let size):
            precondition(values.count == blocks * size * size, "recurrent tensor size")
            for block in 0..<blocks {
                let slice = UnsafeMutableBufferPointer(rebasing: values[(block * size * size)..<((block + 1) * size * size)])
                switch recurrent {
                case .orthogonal:
                    Initialization.fillOrthogonal(slice, size: size, scale: scale, generator: &generator)
                case .scheme:
                    scheme.fill(slice, fanIn: size, fanOut: size, scale: scale, generator: &generator)
                }
            }
        }
    }
}
