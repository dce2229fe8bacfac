// The fully connected layer: an affine forward/backward pair through BLAS, then an optional activation.

/// A fully connected layer y = f(x · Wᵀ + b), f an ``Activation`` or the identity when `activation` is nil.
///
/// Parameters, in order: weight (outputSize, inputSize) row-major, then bias (outputSize).
public struct DenseLayer: Layer, Hashable {
    /// Fan-in.
    public let inputSize: Int
    /// Units.
    public let outputSize: Int
    /// nil: linear (the output layer's logits).
    public let activation: Activation?

    /// A layer inputSize → outputSize; both must be positive.
    public init(inputSize: Int, outputSize: Int, activation: Activation?) {
        precondition(inputSize >= 1 && outputSize >= 1,
                     "dense layer sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
    }

    /// outputSize · inputSize weights plus outputSize biases.
    public var parameterCount: Int { outputSize * inputSize + outputSize }

    /// Weights from `initialization` (fanIn = inputSize, fanOut = outputSize), biases zero.
    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, initialization: Initialization,
                           generator: inout SeededGenerator) {
        precondition(parameters.count == parameterCount)
        let weightCount = outputSize * inputSize
        initialization.fill(UnsafeMutableBufferPointer(rebasing: parameters[0..<weightCount]),
                            fanIn: inputSize, fanOut: outputSize, generator: &generator)
        UnsafeMutableBufferPointer(rebasing: parameters[weightCount...]).update(repeating: 0)
    }

    /// output (B, out) = f(input (B, in) · weightᵀ + bias); the activation is applied in place.
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                        parameters: UnsafePointer<Float>, batchSize: Int) {
        Self.affineForward(output: output, input: input, weight: parameters,
                           bias: parameters + outputSize * inputSize,
                           batchSize: batchSize, inputSize: inputSize, outputSize: outputSize)
        activation?.forward(output: output, input: output, count: batchSize * outputSize)
    }

    /// Turns dOutput into ∂L/∂(pre-activation) in place, then runs ``affineBackward``.
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, parameters: UnsafePointer<Float>, batchSize: Int) {
        activation?.backward(dInput: dOutput, dOutput: dOutput, output: output, count: batchSize * outputSize)
        Self.affineBackward(dInput: dInput, dWeight: dParameters, dBias: dParameters + outputSize * inputSize,
                            dOutput: dOutput, input: input, weight: parameters,
                            batchSize: batchSize, inputSize: inputSize, outputSize: outputSize)
    }

    /// output (B, out) = input (B, in) · weight (out, in)ᵀ + bias (out); overwrites `output`.
    public static func affineForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                     batchSize: Int, inputSize: Int, outputSize: Int) {
        for row in 0..<batchSize {
            (output + row * outputSize).update(from: bias, count: outputSize)
        }
        BLAS.gemm(c: output, a: input, transposeA: false, b: weight, transposeB: true,
                  m: batchSize, n: outputSize, k: inputSize, beta: 1)
    }

    /// Backward of ``affineForward``, accumulating:
    /// dWeight (out, in) += dOutputᵀ · input; dBias (out) += Σ_rows dOutput; dInput (B, in) += dOutput · weight.
    public static func affineBackward(dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
                                      dBias: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>,
                                      input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      batchSize: Int, inputSize: Int, outputSize: Int) {
        BLAS.gemm(c: dWeight, a: dOutput, transposeA: true, b: input, transposeB: false,
                  m: outputSize, n: inputSize, k: batchSize, beta: 1)
        for row in 0..<batchSize {
            let dOutputRow = dOutput + row * outputSize
            for unit in 0..<outputSize { dBias[unit] += dOutputRow[unit] }
        }
        if let dInput {
            BLAS.gemm(c: dInput, a: dOutput, transposeA: false, b: weight, transposeB: false,
                      m: batchSize, n: inputSize, k: outputSize, beta: 1)
        }
    }
}
